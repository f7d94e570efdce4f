"""现场文书: 隐患整改通知书, 复查意见书 and the 检查记录 as numbered, immutable A4 PDFs with a
QR code that proves them (models/documents.py holds the record).

- issuing.py: numbering (gap-free per department, kind and year) and issue, supersede, void;
  called from the workflow's transitions (assign, verify, submit_inspection).
- pdf.py: the snapshot rendered through WeasyPrint in the bulletins' official style, with the QR.
- tokens.py: the signed, unguessable token of /v/<token>/.
- views.py: download, the public verification page, the office's void / reissue.
"""
