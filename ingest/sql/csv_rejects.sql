-- Lines of $path the CSV reader could not read at all. A file read more than once reports each
-- line once.
select distinct
    errors.line,
    errors.error_message,
    errors.csv_line
from reject_errors as errors
inner join reject_scans as scans using (scan_id, file_id)
where scans.file_path = $path
order by errors.line
