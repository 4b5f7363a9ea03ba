-- The rows of a Lab export ($path, $compression 'gzip' or 'none'): every column as text
-- ($columns maps each header name to 'VARCHAR'), and raw, the row as JSON. The dialect and the
-- compression are given rather than sniffed (a gzip-compressed file need not end in .gz).
-- Lines the reader cannot read (cut short, a broken quote, longer than DuckDB's default line
-- limit) go to its reject tables. The columns are the export's own, whatever they are (hence
-- AM04).
--
-- The line limit stays at DuckDB's default on purpose: the reader's buffers grow with it, and
-- a larger one makes memory grow with the file instead of staying bounded.
select
    *, -- noqa: AM04
    to_json(csv_row) as raw
from read_csv(
    $path,
    header = true,
    delim = ',',
    quote = '"',
    escape = '"',
    columns = $columns,
    auto_detect = false,
    compression = $compression,
    store_rejects = true
) as csv_row
