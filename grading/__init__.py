"""The grading engine: runs notebooks against hidden checks in a confined kernel and judges
what they observe. It knows tasks, cells, checks and points, not interviews."""
