"""T4, YOLO v1-v3 (report/t4-yolo.qmd): the three networks built from their papers' layer tables, and the box algorithms (IoU, NMS, anchor clustering)."""
