"""Digitpad's runtime: preprocessing, the exported classifier and the command line.

The words the code uses, one meaning each:
- ink: the marks a digit is made of; in an image, an (H, W) map of how much each pixel holds.
- strokes: how the pad records ink: (N, 3) arrays of x, y (canvas px) and t (ms), in the order
  drawn; as JSON text ("the ink JSON") they are the pad's value and /read_ink's argument.
- pen: the width of a stroke (the pad's brush, or one estimated from a picture).
- picture: a drawing as an image, (H, W); a drawing is a picture and, from the pad, its strokes.
- reading: what the network made of a drawing (`model.reading`); blank when nothing was read.
- version: a model the app may serve: the shipped one, or one a room taught (`model.versions`).
- inside view: what the first network's layers computed for a digit (`model.inside`).
"""
