-- Reserved: alerts raised by sensors (issue 6). Replace this body; keep the file name.
SELECT 1;
