-- Reserved: model registry (issue 7). Replace this body; keep the file name.
SELECT 1;
