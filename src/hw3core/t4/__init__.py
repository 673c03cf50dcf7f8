"""T4, YOLO v1-v3 (report/t4-yolo.qmd): the three networks built from their papers' layer
tables, and the box algorithms behind the answers.

Flat, one module per part or group of parts that share code:
- `yolo`: the three networks as modules — (a) output depth, (d) multi-scale training,
  (f) the architecture of v3 (all three read their numbers off the same modules);
- `multilabel`: softmax against independent sigmoids — (b);
- `nms`: IoU and non-maximum suppression — (c);
- `anchors`: dimension clusters and direct location prediction — (e);
- `coco` and `text`: YOLOv3's COCO comparison as its paper prints it, and the sentence
  that ranks YOLOv3 in it — (f).
`nms` and `anchors` stay apart: (c) works on corner boxes of one image, (e) on the (w, h)
of a whole training set and on the decoding of raw outputs; they share no code.
"""
