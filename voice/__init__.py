"""The front line's voice: departments and who to reach in them now, problem reports from
reps and supervisors, and how each department reacts to them (acknowledged, fixed, in what
time)."""
