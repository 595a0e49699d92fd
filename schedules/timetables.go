package schedules

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Constant is a schedule that returns Value at every step.
type Constant struct {
	Value float64
}

// At returns c.Value.
func (c Constant) At(step int) float64 { return c.Value }

// Validate returns an error if Value is NaN or infinite.
func (c Constant) Validate() error { return checkFinite("constant", "value", c.Value) }

// String returns the text form "constant(v)".
func (c Constant) String() string { return "constant(" + formatFloat(c.Value) + ")" }

// Linear interpolates linearly from From at step Start to To at step End.
type Linear struct {
	From, To   float64
	Start, End int
}

// At returns From + (To−From)·f, where f is the fraction of [Start, End]
// done at step.
func (l Linear) At(step int) float64 {
	return ramp(l.From, l.To, l.Start, l.End, step, func(f float64) float64 {
		return lerp(l.From, l.To, f)
	})
}

// Validate returns an error naming the first invalid field.
func (l Linear) Validate() error { return validateRamp("linear", l.From, l.To, l.Start, l.End) }

// Span returns Start and End.
func (l Linear) Span() (start, end int, ok bool) { return l.Start, l.End, true }

// String returns the text form "linear(from, to, start, end)".
func (l Linear) String() string {
	return formatRamp("linear", l.From, l.To, l.Start, l.End)
}

// Poly is the polynomial decay of Zhu and Gupta, "To prune, or not to
// prune" (2017): To + (From−To)·(1−f)^Power, where f is the fraction of
// [Start, End] done. Power 3 is their gradual pruning schedule, and Parse
// uses 3 when the power is omitted.
type Poly struct {
	From, To   float64
	Start, End int
	Power      float64
}

// DefaultPower is the exponent Parse gives a poly schedule without a
// power argument.
const DefaultPower = 3

// At returns the value at step.
func (p Poly) At(step int) float64 {
	return ramp(p.From, p.To, p.Start, p.End, step, func(f float64) float64 {
		return lerp(p.To, p.From, math.Pow(1-f, p.Power))
	})
}

// Validate returns an error naming the first invalid field.
func (p Poly) Validate() error {
	if err := validateRamp("poly", p.From, p.To, p.Start, p.End); err != nil {
		return err
	}
	return checkPositive("poly", "power", p.Power)
}

// Span returns Start and End.
func (p Poly) Span() (start, end int, ok bool) { return p.Start, p.End, true }

// String returns the text form "poly(from, to, start, end, power=p)",
// leaving the power out when it is DefaultPower.
func (p Poly) String() string {
	if p.Power == DefaultPower {
		return formatRamp("poly", p.From, p.To, p.Start, p.End)
	}
	return formatRamp("poly", p.From, p.To, p.Start, p.End, "power="+formatFloat(p.Power))
}

// Exp interpolates geometrically from From at step Start to To at step
// End: From·(To/From)^f, where f is the fraction of the span done. From
// and To must be positive.
type Exp struct {
	From, To   float64
	Start, End int
}

// At returns the value at step.
func (e Exp) At(step int) float64 {
	return ramp(e.From, e.To, e.Start, e.End, step, func(f float64) float64 {
		if ratio := e.To / e.From; ratio > 0 && !math.IsInf(ratio, 0) {
			return e.From * math.Pow(ratio, f)
		}
		// The ratio overflowed or underflowed, so interpolate the logarithms.
		return math.Exp(lerp(math.Log(e.From), math.Log(e.To), f))
	})
}

// Validate returns an error naming the first invalid field.
func (e Exp) Validate() error {
	if err := validateRamp("exp", e.From, e.To, e.Start, e.End); err != nil {
		return err
	}
	if err := checkPositive("exp", "from", e.From); err != nil {
		return err
	}
	return checkPositive("exp", "to", e.To)
}

// Span returns Start and End.
func (e Exp) Span() (start, end int, ok bool) { return e.Start, e.End, true }

// String returns the text form "exp(from, to, start, end)".
func (e Exp) String() string {
	return formatRamp("exp", e.From, e.To, e.Start, e.End)
}

// Cosine anneals from From at step Start to To at step End along half a
// cosine: To + (From−To)·(1+cos(π·f))/2, where f is the fraction of the
// span done.
type Cosine struct {
	From, To   float64
	Start, End int
}

// At returns the value at step.
func (c Cosine) At(step int) float64 {
	return ramp(c.From, c.To, c.Start, c.End, step, func(f float64) float64 {
		return lerp(c.To, c.From, (1+math.Cos(math.Pi*f))/2)
	})
}

// Validate returns an error naming the first invalid field.
func (c Cosine) Validate() error { return validateRamp("cosine", c.From, c.To, c.Start, c.End) }

// Span returns Start and End.
func (c Cosine) Span() (start, end int, ok bool) { return c.Start, c.End, true }

// String returns the text form "cosine(from, to, start, end)".
func (c Cosine) String() string {
	return formatRamp("cosine", c.From, c.To, c.Start, c.End)
}

// Point is a boundary of a Steps schedule: the value from Step on.
type Point struct {
	Step  int
	Value float64
}

// Steps is piecewise constant: Initial before the first point's step,
// then each point's Value from its Step until the next point. The steps
// of Points must be strictly increasing.
type Steps struct {
	Initial float64
	Points  []Point
}

// At returns the value at step in O(log n) for n points.
func (s Steps) At(step int) float64 {
	n := sort.Search(len(s.Points), func(i int) bool { return s.Points[i].Step > step })
	if n == 0 {
		return s.Initial
	}
	return s.Points[n-1].Value
}

// Validate returns an error naming the first invalid value or boundary.
func (s Steps) Validate() error {
	if err := checkFinite("steps", "initial value", s.Initial); err != nil {
		return err
	}
	for i, p := range s.Points {
		name := "boundary " + strconv.Itoa(i+1)
		if err := checkStep("steps", name, p.Step); err != nil {
			return err
		}
		if err := checkFinite("steps", "value at "+name, p.Value); err != nil {
			return err
		}
		if i > 0 && p.Step <= s.Points[i-1].Step {
			return errorf("steps", "%s (%d) is not after the boundary before it (%d)",
				name, p.Step, s.Points[i-1].Step)
		}
	}
	return nil
}

// Span returns the first and last boundary. ok is false without points.
func (s Steps) Span() (start, end int, ok bool) {
	if len(s.Points) == 0 {
		return 0, 0, false
	}
	return s.Points[0].Step, s.Points[len(s.Points)-1].Step, true
}

// String returns the text form "steps(v0, t1:v1, t2:v2, ...)".
func (s Steps) String() string {
	args := []string{formatFloat(s.Initial)}
	for _, p := range s.Points {
		args = append(args, strconv.Itoa(p.Step)+":"+formatFloat(p.Value))
	}
	return formatCall("steps", args...)
}

// Cyclic is a triangle wave: Low at step 0, High at Period/2 and Low
// again at Period, repeating without end.
type Cyclic struct {
	Low, High float64
	Period    int
}

// At returns the value at step. A period below 1 acts as 1.
func (c Cyclic) At(step int) float64 {
	step = max(step, 0)
	period := max(c.Period, 1)
	f := float64(step%period) / float64(period)
	return lerp(c.Low, c.High, 1-math.Abs(2*f-1))
}

// Validate returns an error naming the first invalid field.
func (c Cyclic) Validate() error {
	if err := checkBounds("cyclic", c.Low, c.High); err != nil {
		return err
	}
	return checkPeriod("cyclic", "period", c.Period)
}

// String returns the text form "cyclic(low, high, period)".
func (c Cyclic) String() string {
	return formatCall("cyclic", formatFloat(c.Low), formatFloat(c.High), strconv.Itoa(c.Period))
}

// Restarts is cosine annealing with warm restarts (Loshchilov and Hutter,
// SGDR, 2017): each cycle anneals from From to To along half a cosine and
// then jumps back to From. The first cycle lasts Period steps and each
// next one Mult times longer than the one before, so cycle i starts at
// Period·(Mult^i − 1)/(Mult − 1), or Period·i when Mult is 1. Parse uses
// Mult 1 when it is omitted.
type Restarts struct {
	From, To float64
	Period   int
	Mult     float64
}

// At returns the value at step in O(1).
func (r Restarts) At(step int) float64 {
	step = max(step, 0)
	period := float64(max(r.Period, 1))
	var f float64
	if !(r.Mult > 1) || math.IsInf(r.Mult, 0) {
		p := max(r.Period, 1)
		f = float64(step%p) / float64(p)
	} else {
		start, length := r.cycle(float64(step), period)
		f = (float64(step) - start) / length
	}
	return lerp(r.To, r.From, (1+math.Cos(math.Pi*f))/2)
}

// cycle returns the start and length of the cycle holding step when
// Mult > 1. The closed form for the cycle index can be off by one in
// floating point, so it is corrected against the cycle boundaries.
func (r Restarts) cycle(step, period float64) (start, length float64) {
	boundary := func(i float64) float64 {
		return period * (math.Pow(r.Mult, i) - 1) / (r.Mult - 1)
	}
	// Start the search below the first boundary that overflows, so that
	// a huge Mult gives a finite start and an infinite length.
	i := math.Floor(math.Log1p(step*(r.Mult-1)/period) / math.Log(r.Mult))
	i = min(i, math.Floor(math.Log(math.MaxFloat64/period)/math.Log(r.Mult)))
	for k := 0; k < 4 && i > 0 && boundary(i) > step; k++ {
		i--
	}
	for k := 0; k < 4 && boundary(i+1) <= step; k++ {
		i++
	}
	start = boundary(i)
	return start, boundary(i+1) - start
}

// Validate returns an error naming the first invalid field.
func (r Restarts) Validate() error {
	if err := checkFinite("restarts", "from", r.From); err != nil {
		return err
	}
	if err := checkFinite("restarts", "to", r.To); err != nil {
		return err
	}
	if err := checkPeriod("restarts", "period", r.Period); err != nil {
		return err
	}
	if err := checkFinite("restarts", "mult", r.Mult); err != nil {
		return err
	}
	if r.Mult < 1 {
		return errorf("restarts", "mult (%s) is less than 1", formatFloat(r.Mult))
	}
	return nil
}

// String returns the text form "restarts(from, to, period, mult=m)",
// leaving mult out when it is 1.
func (r Restarts) String() string {
	args := []string{formatFloat(r.From), formatFloat(r.To), strconv.Itoa(r.Period)}
	if r.Mult != 1 {
		args = append(args, "mult="+formatFloat(r.Mult))
	}
	return formatCall("restarts", args...)
}

// OneCycle rises from Low at step Start to High at the middle of [Start,
// End] and falls back to Low at End, along a cosine: Low +
// (High−Low)·(1−cos(2π·f))/2, where f is the fraction of the span done.
// It is Low outside [Start, End].
type OneCycle struct {
	Low, High  float64
	Start, End int
}

// At returns the value at step.
func (o OneCycle) At(step int) float64 {
	return ramp(o.Low, o.Low, o.Start, o.End, step, func(f float64) float64 {
		return lerp(o.Low, o.High, (1-math.Cos(2*math.Pi*f))/2)
	})
}

// Validate returns an error naming the first invalid field.
func (o OneCycle) Validate() error {
	if err := checkBounds("onecycle", o.Low, o.High); err != nil {
		return err
	}
	return checkSpan("onecycle", o.Start, o.End)
}

// Span returns Start and End.
func (o OneCycle) Span() (start, end int, ok bool) { return o.Start, o.End, true }

// String returns the text form "onecycle(low, high, start, end)".
func (o OneCycle) String() string {
	return formatRamp("onecycle", o.Low, o.High, o.Start, o.End)
}

// ramp evaluates a schedule that holds from before start and to from end
// on, and in between calls shape with the fraction f ∈ (0, 1) of the span
// done. Steps before 0 count as step 0. When start equals end, the value
// jumps to to at that step.
func ramp(from, to float64, start, end, step int, shape func(f float64) float64) float64 {
	step = max(step, 0)
	if step >= end {
		return to
	}
	if step <= start {
		return from
	}
	return shape(float64(step-start) / float64(end-start))
}

// lerp returns a + (b−a)·w for w in [0, 1]. When b−a overflows it uses
// a·(1−w) + b·w instead, which stays between a and b when both are finite.
func lerp(a, b, w float64) float64 {
	if d := b - a; !math.IsInf(d, 0) {
		return a + d*w
	}
	return a*(1-w) + b*w
}

// formatCall joins a function name and its arguments into a text form.
func formatCall(name string, args ...string) string {
	return name + "(" + strings.Join(args, ", ") + ")"
}

// formatRamp writes the text form "fn(from, to, start, end, extra...)".
func formatRamp(fn string, from, to float64, start, end int, extra ...string) string {
	args := []string{formatFloat(from), formatFloat(to), strconv.Itoa(start), strconv.Itoa(end)}
	return formatCall(fn, append(args, extra...)...)
}

// formatFloat writes v in the shortest form that parses back to the same
// float64.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
