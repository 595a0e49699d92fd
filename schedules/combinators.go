package schedules

import (
	"fmt"
	"strconv"
)

// Validator is a schedule that can check its own arguments. Every
// schedule in this package is one.
type Validator interface {
	Validate() error
}

// Spanner is a schedule that changes only within [start, end]: it is
// constant before start and constant from end on. ok is false when the
// schedule has no such span, as for a constant or a periodic schedule
// that never settles.
type Spanner interface {
	Span() (start, end int, ok bool)
}

// span returns s's span, if s reports one.
func span(s Schedule) (start, end int, ok bool) {
	if sp, isSpanner := s.(Spanner); isSpanner {
		return sp.Span()
	}
	return 0, 0, false
}

// Every holds S constant between updates every N steps, counted from S's
// start (step 0 when S has no span): at step t in [start, end) it returns
// S.At(start + ⌊(t−start)/N⌋·N). From S's end on it returns S.At(t), so
// the final value is reached exactly at the end even when N does not
// divide the span. This is how gradual pruning updates its masks.
type Every struct {
	N int
	S Schedule
}

// At returns the value at step. An N below 1 acts as 1.
func (e Every) At(step int) float64 {
	step = max(step, 0)
	n := max(e.N, 1)
	start, end, ok := span(e.S)
	if (ok && step >= end) || step <= start {
		return e.S.At(step)
	}
	return e.S.At(start + (step-start)/n*n)
}

// Validate returns an error naming the first invalid field.
func (e Every) Validate() error {
	if err := checkPeriod("every", "n", e.N); err != nil {
		return err
	}
	return validateInner("every", "schedule", e.S)
}

// Span returns S's span.
func (e Every) Span() (start, end int, ok bool) { return span(e.S) }

// ChangePoints returns the steps in [0, limit] at which e's value may
// change: S's start, every N steps after it, and S's end. It returns nil
// when S has no span. It costs O((min(end, limit) − start)/N).
func (e Every) ChangePoints(limit int) []int {
	start, end, ok := span(e.S)
	if !ok {
		return nil
	}
	n := max(e.N, 1)
	var steps []int
	for t := start; t < end && t <= limit; t += n {
		steps = append(steps, t)
	}
	if end <= limit {
		steps = append(steps, end)
	}
	return steps
}

// String returns the text form "every(n, S)".
func (e Every) String() string {
	return formatCall("every", strconv.Itoa(e.N), formatSchedule(e.S))
}

// Delay shifts S later by Steps steps: S.At(0) before step Steps, then
// S.At(t − Steps).
type Delay struct {
	Steps int
	S     Schedule
}

// At returns the value at step.
func (d Delay) At(step int) float64 {
	return d.S.At(max(step-max(d.Steps, 0), 0))
}

// Validate returns an error naming the first invalid field.
func (d Delay) Validate() error {
	if err := checkStep("delay", "steps", d.Steps); err != nil {
		return err
	}
	return validateInner("delay", "schedule", d.S)
}

// Span returns S's span shifted by Steps.
func (d Delay) Span() (start, end int, ok bool) {
	start, end, ok = span(d.S)
	return start + d.Steps, end + d.Steps, ok
}

// String returns the text form "delay(steps, S)".
func (d Delay) String() string {
	return formatCall("delay", strconv.Itoa(d.Steps), formatSchedule(d.S))
}

// Scale multiplies S by Factor.
type Scale struct {
	Factor float64
	S      Schedule
}

// At returns Factor·S.At(step).
func (s Scale) At(step int) float64 { return s.Factor * s.S.At(step) }

// Validate returns an error naming the first invalid field.
func (s Scale) Validate() error {
	if err := checkFinite("scale", "factor", s.Factor); err != nil {
		return err
	}
	return validateInner("scale", "schedule", s.S)
}

// Span returns S's span.
func (s Scale) Span() (start, end int, ok bool) { return span(s.S) }

// String returns the text form "scale(factor, S)".
func (s Scale) String() string {
	return formatCall("scale", formatFloat(s.Factor), formatSchedule(s.S))
}

// Clamp limits S to [Low, High].
type Clamp struct {
	Low, High float64
	S         Schedule
}

// At returns S.At(step) limited to [Low, High]. A NaN from S stays NaN.
func (c Clamp) At(step int) float64 {
	v := c.S.At(step)
	if v < c.Low {
		return c.Low
	}
	if v > c.High {
		return c.High
	}
	return v
}

// Validate returns an error naming the first invalid field.
func (c Clamp) Validate() error {
	if err := checkBounds("clamp", c.Low, c.High); err != nil {
		return err
	}
	return validateInner("clamp", "schedule", c.S)
}

// Span returns S's span.
func (c Clamp) Span() (start, end int, ok bool) { return span(c.S) }

// String returns the text form "clamp(low, high, S)".
func (c Clamp) String() string {
	return formatCall("clamp", formatFloat(c.Low), formatFloat(c.High), formatSchedule(c.S))
}

// Join runs First before step Step and then Second restarted at Step:
// Second.At(t − Step) from step Step on, as join_schedules in MLX's
// optimizers does.
type Join struct {
	First  Schedule
	Step   int
	Second Schedule
}

// At returns the value at step.
func (j Join) At(step int) float64 {
	step = max(step, 0)
	if step < j.Step {
		return j.First.At(step)
	}
	return j.Second.At(step - j.Step)
}

// Validate returns an error naming the first invalid field.
func (j Join) Validate() error {
	if err := validateInner("join", "first schedule", j.First); err != nil {
		return err
	}
	if err := checkStep("join", "step", j.Step); err != nil {
		return err
	}
	return validateInner("join", "second schedule", j.Second)
}

// Span returns the earlier of First's start and Step, and Step plus
// Second's end. ok is false when Second has no span.
func (j Join) Span() (start, end int, ok bool) {
	_, secondEnd, ok := span(j.Second)
	if !ok {
		return 0, 0, false
	}
	start = j.Step
	if firstStart, _, firstOK := span(j.First); firstOK {
		start = min(start, firstStart)
	} else {
		start = 0
	}
	return start, j.Step + secondEnd, true
}

// String returns the text form "join(first, step, second)".
func (j Join) String() string {
	return formatCall("join", formatSchedule(j.First), strconv.Itoa(j.Step),
		formatSchedule(j.Second))
}

// formatSchedule returns s's text form, or its %v form when s is not a
// fmt.Stringer (such a schedule does not parse back).
func formatSchedule(s Schedule) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprintf("%v", s)
}
