-- What a stream has landed or set aside (ids; without an id, the md5 of the raw text), so
-- that nothing is landed or set aside twice however often it is served.
create table seen (classification_id bigint);
create table seen_unidentified (raw_md5 varchar);
