package schedules

import (
	"encoding/json"
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
	// Signal is the name of the tracked signal; Parse uses "sparsity"
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
	Version  int     `json:"version"`
	Policy   string  `json:"policy"`
	Started  bool    `json:"started"`
	M        float64 `json:"m"`
	Integral float64 `json:"integral"`
}

var _ Adaptive = (*Track)(nil)

// M returns the current multiplier.
func (t *Track) M() float64 {
	if !t.state.Started {
		return t.Init
	}
	return t.state.M
}

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

	integral := t.state.Integral + e
	next := t.clamp(t.Init * math.Exp(t.Kp*e+t.Ki*integral))
	if (next >= t.Max && e > 0) || (next <= t.Min && e < 0) {
		integral = t.state.Integral
		next = t.clamp(t.Init * math.Exp(t.Kp*e+t.Ki*integral))
	}
	t.state = trackState{Started: true, M: next, Integral: integral}
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

// MarshalState returns m and the integral as JSON.
func (t *Track) MarshalState() ([]byte, error) {
	s := t.state
	s.Version, s.Policy = stateVersion, "track"
	return json.Marshal(s)
}

// UnmarshalState restores the state written by MarshalState. It changes
// nothing on error.
func (t *Track) UnmarshalState(data []byte) error {
	var s trackState
	if err := unmarshalState("track", data, &s); err != nil {
		return err
	}
	if s.Started {
		if err := checkStateM("track", t.Bounds, s.M); err != nil {
			return err
		}
	}
	if err := checkFinite("track", "state integral", s.Integral); err != nil {
		return err
	}
	s.Version, s.Policy = 0, ""
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
