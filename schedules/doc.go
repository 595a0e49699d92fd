// Package schedules describes how the strength of a regularization term,
// or a target sparsity, changes over training.
//
// A scheduled penalty λ(t)·R(w) has three layers, and this package holds
// the second and third:
//
//   - the base term R(w), the property wanted (package ops);
//   - the multiplier λ(t), its strength at optimizer step t: a Schedule;
//   - the policy that moves λ: a fixed timetable, feedback from measured
//     signals, or both (an Adaptive schedule).
//
// # Timetables
//
// A timetable is a pure function of the step, a value type with exported
// fields: Constant, Linear, Poly (the cubic gradual pruning schedule of
// Zhu and Gupta, 2017), Exp, Cosine, Steps, Cyclic, Restarts (cosine
// annealing with warm restarts) and OneCycle. Combinators build on them:
// Every holds a schedule between updates every n steps, Delay shifts it,
// Scale multiplies it, Clamp limits it and Join runs one schedule and then
// another restarted at a given step. Steps are counted from 0, the first
// optimizer step. A ramp from `from` at `start` to `to` at `end` holds
// `from` before start and `to` from end on, returns exactly `to` at end,
// and jumps at that step when start equals end. A negative step is
// treated as step 0.
//
// Each has a text form that Parse reads and String writes back, so
// recipes and the command line can name a schedule:
//
//	s, err := schedules.Parse("every(100, poly(0, 0.9, 0, 1050))")
//	// s.At(99) == 0, s.At(100) ≈ 0.2334, s.At(1050) == 0.9
//
// # Adaptive multipliers
//
// An Adaptive schedule returns base(t)·m, where a policy moves the
// multiplier m from signals the caller measures after each step and
// passes to Update: the achieved sparsity, the loss, a gradient norm, a
// validation accuracy. Every move is returned as a Decision, so a run's
// metrics show why λ changed, and MarshalState and UnmarshalState save m
// and the policy's memory for a checkpoint.
//
// # Limitations
//
// A schedule built from a user type that has no String method prints in
// a form Parse does not read back. Steps are limited to MaxStep.
// ValidateSparsity checks a schedule by evaluating it at every step of a
// range, so its cost grows with the range.
package schedules
