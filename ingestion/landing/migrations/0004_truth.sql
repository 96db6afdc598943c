-- Reserved: simulator ground truth (issue 3). Replace this body; keep the file name.
SELECT 1;
