// Package schedules describes how the strength of a regularization term,
// or a target sparsity, changes over training.
//
// A scheduled penalty λ(t)·R(w) has three layers:
//
//   - the base term R(w), the property wanted, such as ‖w‖₁ (package ops);
//   - the multiplier λ(t), its strength at optimizer step t: a Schedule;
//   - the policy that moves λ: a fixed timetable, feedback from measured
//     signals, or both (an Adaptive schedule).
//
// This package contains the second and third layers, and any schedule
// works with any term. The package Example runs all three on a toy problem: a
// proximal L1 step, a warm-up timetable, and a controller that steers the
// strength until half of the weights are zero.
//
// # Timetables
//
// A timetable is a pure function of the step, written as a value type
// with exported fields: Constant, Linear, Poly (the cubic gradual pruning
// schedule of Zhu and Gupta, 2017, or any other power), Exp, Cosine,
// Steps, Cyclic, Restarts (cosine annealing with warm restarts) and
// OneCycle. Combinators build on them. Every holds a schedule between
// updates every n steps, Delay shifts it, Scale multiplies it, Clamp
// limits it, and Join runs one schedule and then another restarted at a
// given step.
//
// Steps are counted from 0, the first optimizer step, and a negative step
// is treated as step 0. A ramp from `from` at `start` to `to` at `end`
// returns `from` up to start, exactly `to` from end on, and jumps at that
// step when start equals end. Every reaches the final value exactly at
// the end of its schedule's span (see Spanner) even when n does not
// divide the span.
//
// Each schedule has a text form that Parse reads and String writes back,
// so recipes and the command line can name schedules:
//
//	s, err := schedules.Parse("every(100, poly(0, 0.9, 0, 1050))")
//	// s.At(99) == 0, s.At(100) ≈ 0.2334, s.At(1050) == 0.9
//
// # Adaptive multipliers and policies
//
// An Adaptive schedule returns base(t)·m, where a policy moves the
// multiplier m from signals measured after each step. The training loop
// (the wrapping solver in package solvers) calls Update(step, signals)
// once after every step with the signals it measures ("sparsity",
// "sparsity/<weight>", "grad_norm", "penalty/<term>") and names the user
// observes, such as "loss", "val_acc" or "recall/3". The policies are
//
//   - Track, a PI controller that drives a signal toward a target, which
//     may itself be a schedule;
//   - Plateau, which moves m when a signal stops improving;
//   - Dual, dual ascent on a constraint signal ≤ bound;
//   - Guard, which backs off when a guarded signal degrades;
//   - Milestones, which switches schedules or policies at given steps.
//
// Every policy keeps m within [Min, Max], ignores a NaN or infinite
// signal (and reports that in a Decision), and is deterministic. Each
// move of m is returned as a Decision with the step, the signal, the old
// and new m and a reason, so a run's metrics show why λ changed.
// MarshalState and UnmarshalState save and restore m and the policy's
// memory as versioned JSON, bit for bit, for checkpoints. A policy also
// has a text form:
//
//	a, err := schedules.Parse("track(constant(0.01), signal=sparsity, " +
//		"target=poly(0, 0.8, 0, 2000), kp=0.5, ki=0.1, min=0.01, max=100)")
//	// after each step: decisions := a.(schedules.Adaptive).Update(step, signals)
//
// # Limitations
//
// An adaptive multiplier must be the outermost schedule or a milestones
// entry, because no combinator forwards Update to what it wraps.
// Milestones switches schedules, not terms. To hand one term over to
// another at step t, give the first join(S1, t, constant(0)) and the
// second join(constant(0), t, S2). Track's
// gains depend on how fast the signal responds to λ and need tuning for
// each model. A quantized signal, such as the sparsity of a few weights,
// makes a large proportional gain oscillate. Guard keeps the best value
// of the whole run, so a signal that stays degraded drives m down to Min.
// A schedule built from a user type without a String method prints in a
// form Parse does not read back. The timetables keep their values between
// their end points even for arguments near the float64 limits, but Scale
// can overflow to ±Inf when Factor times its schedule leaves the float64
// range. Steps are limited to MaxStep.
// ValidateSparsity checks a schedule by evaluating it at every step of a
// range, so its cost grows with the range and it does not check steps
// outside it.
package schedules
