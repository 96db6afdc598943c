-- Reserved: ingestion status, interlock state (issue 4). Replace this body; keep the file name.
SELECT 1;
