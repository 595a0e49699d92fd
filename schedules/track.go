package schedules

import (
	"fmt"
	"math"
)

// Track is an adaptive multiplier whose policy is a PI controller: it
// moves m so that a measured signal follows a target, for example an L1
// strength tuned so that the achieved sparsity follows a target curve.
// After each step it computes the error e = target(step) − signal (the
// negative when Decreasing), adds e to an integral I and sets
//
//	m = clamp(Init·exp(Kp·e + Ki·I), Min, Max)
//
// so the gains act on log m and the controller is indifferent to the
// scale of the base schedule. While m sits at a bound and e pushes it
// further, I is not updated, so the integral does not wind up.
//
// Track is not safe for concurrent use.
type Track struct {
	// Base is the schedule that m multiplies.
	Base Schedule
	// Signal is the name of the tracked signal. Parse uses "sparsity"
	// when it is omitted.
	Signal string
	// Target is the value the signal should have at each step.
	Target Schedule
	// Kp and Ki are the proportional and integral gains, per unit of
	// error, on log m. Both must be non-negative.
	Kp, Ki float64
	// Decreasing reports that the signal falls as m grows, as a penalty
	// value or a weight norm does. By default the signal rises with m,
	// as sparsity does.
	Decreasing bool
	Bounds

	state trackState
}

type trackState struct {
	policyState
	Integral float64 `json:"integral"`
}

var _ Adaptive = (*Track)(nil)

// M returns the current multiplier.
func (t *Track) M() float64 { return t.state.multiplier(t.Init) }

// At returns Base.At(step)·m for the current m.
func (t *Track) At(step int) float64 { return t.Base.At(step) * t.M() }

// Update compares the signal with the target at step and moves m.
func (t *Track) Update(step int, signals map[string]float64) []Decision {
	m := t.M()
	v, ok, notes := readSignal("track", t.Signal, step, signals, m)
	if !ok {
		return notes
	}
	target := t.Target.At(step)
	if math.IsNaN(target) || math.IsInf(target, 0) {
		return []Decision{{Step: step, Policy: "track", Signal: t.Signal, Value: v, Old: m,
			New: m, Reason: fmt.Sprintf("ignored: target %v is not finite", target)}}
	}
	e := target - v
	if t.Decreasing {
		e = -e
	}
	if math.IsInf(e, 0) {
		return []Decision{{Step: step, Policy: "track", Signal: t.Signal, Value: v, Old: m,
			New: m, Reason: fmt.Sprintf("ignored: target %s minus %s %s overflows",
				formatFloat(target), t.Signal, formatFloat(v))}}
	}

	// The integral stays finite, and stays 0 when Ki is 0, so that the
	// state always encodes as JSON and Ki·I is never 0·Inf.
	integral := t.state.Integral
	if sum := integral + e; t.Ki != 0 && !math.IsInf(sum, 0) {
		integral = sum
	}
	next, ok := t.law(e, integral)
	if (next >= t.Max && e > 0) || (next <= t.Min && e < 0) {
		integral = t.state.Integral
		next, ok = t.law(e, integral)
	}
	if !ok {
		return []Decision{{Step: step, Policy: "track", Signal: t.Signal, Value: v, Old: m,
			New: m, Reason: "ignored: kp·e + ki·I is not a number"}}
	}
	t.state = trackState{policyState{Started: true, M: next}, integral}
	if next == m {
		return nil
	}
	relation := "at"
	if v < target {
		relation = "below"
	} else if v > target {
		relation = "above"
	}
	return []Decision{{Step: step, Policy: "track", Signal: t.Signal, Value: v, Old: m,
		New: next, Reason: fmt.Sprintf("%s %s is %s target %s", t.Signal, formatFloat(v),
			relation, formatFloat(target))}}
}

// law returns clamp(Init·exp(Kp·e + Ki·integral)). ok is false when the
// exponent is NaN, which happens only when the two products overflow
// with opposite signs.
func (t *Track) law(e, integral float64) (m float64, ok bool) {
	u := t.Kp*e + t.Ki*integral
	if math.IsNaN(u) {
		return 0, false
	}
	return t.clamp(t.Init * math.Exp(u)), true
}

// MarshalState returns m and the integral as JSON.
func (t *Track) MarshalState() ([]byte, error) {
	s := t.state
	return marshalPolicyState("track", &s)
}

// UnmarshalState restores the state written by MarshalState. It changes
// nothing on error.
func (t *Track) UnmarshalState(data []byte) error {
	var s trackState
	if err := unmarshalPolicyState("track", data, t.Bounds, &s); err != nil {
		return err
	}
	if err := checkFinite("track", "state integral", s.Integral); err != nil {
		return err
	}
	t.state = s
	return nil
}

// Validate returns an error naming the first invalid field.
func (t *Track) Validate() error {
	if err := validateInner("track", "base schedule", t.Base); err != nil {
		return err
	}
	if err := checkSignalName("track", t.Signal); err != nil {
		return err
	}
	if err := validateInner("track", "target", t.Target); err != nil {
		return err
	}
	if err := checkGain("track", "kp", t.Kp); err != nil {
		return err
	}
	if err := checkGain("track", "ki", t.Ki); err != nil {
		return err
	}
	if t.Kp == 0 && t.Ki == 0 {
		return errorf("track", "kp and ki are both 0, so m would never move")
	}
	if err := t.Bounds.validate("track"); err != nil {
		return err
	}
	return checkPositive("track", "init", t.Init)
}

func checkGain(fn, name string, v float64) error {
	if err := checkFinite(fn, name, v); err != nil {
		return err
	}
	if v < 0 {
		return errorf(fn, "%s (%s) is negative", name, formatFloat(v))
	}
	return nil
}

// String returns the text form of the configuration (not the state),
// for example "track(constant(1), signal=sparsity, target=0.5, ki=0.1)".
func (t *Track) String() string {
	args := []string{formatSchedule(t.Base), "signal=" + formatName(t.Signal),
		"target=" + formatSchedule(t.Target)}
	if t.Kp != 0 {
		args = append(args, "kp="+formatFloat(t.Kp))
	}
	if t.Ki != 0 {
		args = append(args, "ki="+formatFloat(t.Ki))
	}
	if t.Decreasing {
		args = append(args, "decreasing=true")
	}
	return formatCall("track", append(args, t.Bounds.args()...)...)
}
