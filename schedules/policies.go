package schedules

import (
	"fmt"
	"strconv"
)

// Plateau is an adaptive multiplier that multiplies m by Factor when a
// signal has not improved for Patience updates in a row, as a
// reduce-on-plateau learning-rate policy does. A Factor above 1 raises
// the strength and one below 1 lowers it. After a move it waits Cooldown
// updates before counting again. An update improves on the best value
// seen when it is better by more than Threshold.
//
// Plateau is not safe for concurrent use.
type Plateau struct {
	Base   Schedule
	Signal string
	// Mode is Min when a smaller signal is better (Parse's default) and
	// Max when a larger one is.
	Mode Mode
	// Patience is the number of updates without improvement before a
	// move. It is at least 1.
	Patience int
	// Cooldown is the number of updates to wait after a move. It is at
	// least 0.
	Cooldown int
	// Factor multiplies m at a move. It is positive and not 1.
	Factor float64
	// Threshold is the least change, in the signal's units, that counts
	// as an improvement. It is at least 0.
	Threshold float64
	Bounds

	state plateauState
}

type plateauState struct {
	policyState
	HasBest  bool    `json:"has_best"`
	Best     float64 `json:"best"`
	Wait     int     `json:"wait"`
	Cooldown int     `json:"cooldown"`
}

var _ Adaptive = (*Plateau)(nil)

// M returns the current multiplier.
func (p *Plateau) M() float64 { return p.state.multiplier(p.Init) }

// At returns Base.At(step)·m for the current m.
func (p *Plateau) At(step int) float64 { return p.Base.At(step) * p.M() }

// Update counts updates without improvement and moves m after Patience.
func (p *Plateau) Update(step int, signals map[string]float64) []Decision {
	m := p.M()
	v, ok, notes := readSignal("plateau", p.Signal, step, signals, m)
	if !ok {
		return notes
	}
	s := p.state
	s.Started, s.M = true, m
	if !s.HasBest || p.Mode.better(v, s.Best, p.Threshold) {
		s.HasBest, s.Best, s.Wait = true, v, 0
	} else {
		s.Wait++
	}
	if s.Cooldown > 0 {
		s.Cooldown--
		s.Wait = 0
	}
	var out []Decision
	if s.Wait >= p.Patience {
		s.M = p.clamp(m * p.Factor)
		s.Wait, s.Cooldown = 0, p.Cooldown
		if s.M != m {
			out = []Decision{{Step: step, Policy: "plateau", Signal: p.Signal, Value: v,
				Old: m, New: s.M, Reason: fmt.Sprintf("%s has not improved on %s for %d updates",
					p.Signal, formatFloat(s.Best), p.Patience)}}
		}
	}
	p.state = s
	return out
}

// MarshalState returns m, the best value and the counters as JSON.
func (p *Plateau) MarshalState() ([]byte, error) {
	s := p.state
	return marshalPolicyState("plateau", &s)
}

// UnmarshalState restores the state written by MarshalState. It changes
// nothing on error.
func (p *Plateau) UnmarshalState(data []byte) error {
	var s plateauState
	if err := unmarshalPolicyState("plateau", data, p.Bounds, &s); err != nil {
		return err
	}
	if s.Wait < 0 || s.Cooldown < 0 {
		return errorf("plateau", "state counters (%d, %d) are negative", s.Wait, s.Cooldown)
	}
	p.state = s
	return nil
}

// Validate returns an error naming the first invalid field.
func (p *Plateau) Validate() error {
	if err := validateInner("plateau", "base schedule", p.Base); err != nil {
		return err
	}
	if err := checkSignalName("plateau", p.Signal); err != nil {
		return err
	}
	if err := p.Mode.validate("plateau"); err != nil {
		return err
	}
	if err := checkPeriod("plateau", "patience", p.Patience); err != nil {
		return err
	}
	if err := checkStep("plateau", "cooldown", p.Cooldown); err != nil {
		return err
	}
	if err := checkPositive("plateau", "factor", p.Factor); err != nil {
		return err
	}
	if p.Factor == 1 {
		return errorf("plateau", "factor (1) would never move m")
	}
	if err := checkGain("plateau", "threshold", p.Threshold); err != nil {
		return err
	}
	return p.Bounds.validate("plateau")
}

// String returns the text form of the configuration (not the state).
func (p *Plateau) String() string {
	args := []string{formatSchedule(p.Base), "signal=" + formatName(p.Signal),
		"mode=" + string(p.Mode), "patience=" + strconv.Itoa(p.Patience)}
	if p.Cooldown != 0 {
		args = append(args, "cooldown="+strconv.Itoa(p.Cooldown))
	}
	args = append(args, "factor="+formatFloat(p.Factor))
	if p.Threshold != 0 {
		args = append(args, "threshold="+formatFloat(p.Threshold))
	}
	return formatCall("plateau", append(args, p.Bounds.args()...)...)
}

// Dual is an adaptive multiplier that enforces the constraint signal ≤
// Bound by dual ascent. After each update m ← clamp(m + Rate·(signal −
// Bound), Min, Max), so m grows while the constraint is violated and
// shrinks while it holds with slack. An example is a spectral norm kept
// below a Lipschitz bound.
//
// Dual is not safe for concurrent use.
type Dual struct {
	Base   Schedule
	Signal string
	Bound  float64
	// Rate is the step size of the ascent. It is positive.
	Rate float64
	Bounds

	state dualState
}

type dualState struct {
	policyState
}

var _ Adaptive = (*Dual)(nil)

// M returns the current multiplier.
func (d *Dual) M() float64 { return d.state.multiplier(d.Init) }

// At returns Base.At(step)·m for the current m.
func (d *Dual) At(step int) float64 { return d.Base.At(step) * d.M() }

// Update takes one ascent step on m.
func (d *Dual) Update(step int, signals map[string]float64) []Decision {
	m := d.M()
	v, ok, notes := readSignal("dual", d.Signal, step, signals, m)
	if !ok {
		return notes
	}
	next := d.clamp(m + d.Rate*(v-d.Bound))
	d.state = dualState{policyState{Started: true, M: next}}
	if next == m {
		return nil
	}
	reason := fmt.Sprintf("%s %s is above bound %s: constraint violated", d.Signal,
		formatFloat(v), formatFloat(d.Bound))
	if v <= d.Bound {
		reason = fmt.Sprintf("%s %s is within bound %s: constraint holds", d.Signal,
			formatFloat(v), formatFloat(d.Bound))
	}
	return []Decision{{Step: step, Policy: "dual", Signal: d.Signal, Value: v, Old: m,
		New: next, Reason: reason}}
}

// MarshalState returns m as JSON.
func (d *Dual) MarshalState() ([]byte, error) {
	s := d.state
	return marshalPolicyState("dual", &s)
}

// UnmarshalState restores the state written by MarshalState. It changes
// nothing on error.
func (d *Dual) UnmarshalState(data []byte) error {
	var s dualState
	if err := unmarshalPolicyState("dual", data, d.Bounds, &s); err != nil {
		return err
	}
	d.state = s
	return nil
}

// Validate returns an error naming the first invalid field.
func (d *Dual) Validate() error {
	if err := validateInner("dual", "base schedule", d.Base); err != nil {
		return err
	}
	if err := checkSignalName("dual", d.Signal); err != nil {
		return err
	}
	if err := checkFinite("dual", "bound", d.Bound); err != nil {
		return err
	}
	if err := checkPositive("dual", "rate", d.Rate); err != nil {
		return err
	}
	return d.Bounds.validate("dual")
}

// String returns the text form of the configuration (not the state).
func (d *Dual) String() string {
	args := []string{formatSchedule(d.Base), "signal=" + formatName(d.Signal),
		"bound=" + formatFloat(d.Bound), "rate=" + formatFloat(d.Rate)}
	return formatCall("dual", append(args, d.Bounds.args()...)...)
}

// Guard is an adaptive multiplier that backs off when a guarded signal
// degrades: when the signal is worse than the best value seen by more
// than Tolerance, it multiplies m by Factor (< 1) and then holds m for
// Hold updates. For example it guards the validation recall of the
// smallest class, so that a growing penalty does not erase a minority
// class. After the hold, while the signal is within tolerance, m grows by
// Recover per update back up to Init. A Recover of 1 never recovers.
//
// Guard keeps the best value seen for the whole run, so a signal that
// stays degraded makes it back off again after every hold until m reaches
// Min. Guard is not safe for concurrent use.
type Guard struct {
	Base   Schedule
	Signal string
	// Mode is Max when a larger signal is better (Parse's default) and
	// Min when a smaller one is.
	Mode Mode
	// Tolerance is the allowed distance from the best value. It is at
	// least 0.
	Tolerance float64
	// Factor multiplies m at a back-off. It is in (0, 1). Parse's default is
	// 0.5.
	Factor float64
	// Hold is the number of updates m is held after a back-off.
	Hold int
	// Recover multiplies m per update after a hold until m is back at
	// Init. It is at least 1, and Parse's default 1 never recovers.
	Recover float64
	Bounds

	state guardState
}

type guardState struct {
	policyState
	HasBest bool    `json:"has_best"`
	Best    float64 `json:"best"`
	Hold    int     `json:"hold"`
}

var _ Adaptive = (*Guard)(nil)

// M returns the current multiplier.
func (g *Guard) M() float64 { return g.state.multiplier(g.Init) }

// At returns Base.At(step)·m for the current m.
func (g *Guard) At(step int) float64 { return g.Base.At(step) * g.M() }

// Update records the best value and backs off or recovers.
func (g *Guard) Update(step int, signals map[string]float64) []Decision {
	m := g.M()
	v, ok, notes := readSignal("guard", g.Signal, step, signals, m)
	if !ok {
		return notes
	}
	s := g.state
	s.Started, s.M = true, m
	if !s.HasBest || g.Mode.better(v, s.Best, 0) {
		s.HasBest, s.Best = true, v
	}
	var reason string
	switch {
	case s.Hold > 0:
		s.Hold--
	case g.Mode.better(s.Best, v, g.Tolerance):
		s.M = g.clamp(m * g.Factor)
		s.Hold = g.Hold
		reason = fmt.Sprintf("backed off: %s %s is worse than its best %s by more than %s",
			g.Signal, formatFloat(v), formatFloat(s.Best), formatFloat(g.Tolerance))
	case g.Recover > 1 && m < g.Init:
		s.M = g.clamp(min(m*g.Recover, g.Init))
		reason = fmt.Sprintf("recovering: %s %s is within %s of its best %s", g.Signal,
			formatFloat(v), formatFloat(g.Tolerance), formatFloat(s.Best))
	}
	g.state = s
	if s.M == m {
		return nil
	}
	return []Decision{{Step: step, Policy: "guard", Signal: g.Signal, Value: v, Old: m,
		New: s.M, Reason: reason}}
}

// MarshalState returns m, the best value and the hold counter as JSON.
func (g *Guard) MarshalState() ([]byte, error) {
	s := g.state
	return marshalPolicyState("guard", &s)
}

// UnmarshalState restores the state written by MarshalState. It changes
// nothing on error.
func (g *Guard) UnmarshalState(data []byte) error {
	var s guardState
	if err := unmarshalPolicyState("guard", data, g.Bounds, &s); err != nil {
		return err
	}
	if s.Hold < 0 {
		return errorf("guard", "state hold (%d) is negative", s.Hold)
	}
	g.state = s
	return nil
}

// Validate returns an error naming the first invalid field.
func (g *Guard) Validate() error {
	if err := validateInner("guard", "base schedule", g.Base); err != nil {
		return err
	}
	if err := checkSignalName("guard", g.Signal); err != nil {
		return err
	}
	if err := g.Mode.validate("guard"); err != nil {
		return err
	}
	if err := checkGain("guard", "tolerance", g.Tolerance); err != nil {
		return err
	}
	if err := checkPositive("guard", "factor", g.Factor); err != nil {
		return err
	}
	if g.Factor >= 1 {
		return errorf("guard", "factor (%s) is not below 1", formatFloat(g.Factor))
	}
	if err := checkStep("guard", "hold", g.Hold); err != nil {
		return err
	}
	if err := checkFinite("guard", "recover", g.Recover); err != nil {
		return err
	}
	if g.Recover < 1 {
		return errorf("guard", "recover (%s) is less than 1", formatFloat(g.Recover))
	}
	return g.Bounds.validate("guard")
}

// String returns the text form of the configuration (not the state).
func (g *Guard) String() string {
	args := []string{formatSchedule(g.Base), "signal=" + formatName(g.Signal),
		"mode=" + string(g.Mode), "tolerance=" + formatFloat(g.Tolerance),
		"factor=" + formatFloat(g.Factor), "hold=" + strconv.Itoa(g.Hold)}
	if g.Recover != 1 {
		args = append(args, "recover="+formatFloat(g.Recover))
	}
	return formatCall("guard", append(args, g.Bounds.args()...)...)
}
