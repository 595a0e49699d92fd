package schedules

import "strconv"

var adaptiveBuilders = map[string]func(*value) (Schedule, error){
	"track":      buildTrack,
	"plateau":    buildPlateau,
	"dual":       buildDual,
	"guard":      buildGuard,
	"milestones": buildMilestones,
}

// boundsParams are the parameter names of Bounds, in positional order.
var boundsParams = []string{"init", "min", "max"}

// bounds reads init, min and max from parameters i, i+1 and i+2.
func (b *binding) bounds(i int) (Bounds, error) {
	var out Bounds
	var err error
	if out.Init, err = b.float(i, "init", DefaultInit); err != nil {
		return out, err
	}
	if out.Min, err = b.float(i+1, "min", DefaultMin); err != nil {
		return out, err
	}
	out.Max, err = b.float(i+2, "max", DefaultMax)
	return out, err
}

// boolean returns parameter i as true or false, or def when absent.
func (b *binding) boolean(i int, name string, def bool) (bool, error) {
	text, err := b.name(i, name, strconv.FormatBool(def))
	if err != nil {
		return false, err
	}
	switch text {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(b.fn, "%s (%s) is neither true nor false", name, formatName(text))
}

// required returns an error when parameter i is absent.
func (b *binding) required(i int, name string) error {
	if b.vals[i] == nil {
		return errorf(b.fn, "missing argument %q", name)
	}
	return nil
}

func buildTrack(call *value) (Schedule, error) {
	params := append([]string{"base", "signal", "target", "kp", "ki", "decreasing"},
		boundsParams...)
	b, err := bind(call, params, 1)
	if err != nil {
		return nil, err
	}
	if err := b.required(2, "target"); err != nil {
		return nil, err
	}
	t := &Track{}
	if t.Base, err = b.schedule(0, "base", nil); err != nil {
		return nil, err
	}
	if t.Signal, err = b.name(1, "signal", "sparsity"); err != nil {
		return nil, err
	}
	if t.Target, err = b.schedule(2, "target", nil); err != nil {
		return nil, err
	}
	if t.Kp, err = b.float(3, "kp", 0); err != nil {
		return nil, err
	}
	if t.Ki, err = b.float(4, "ki", 0); err != nil {
		return nil, err
	}
	if t.Decreasing, err = b.boolean(5, "decreasing", false); err != nil {
		return nil, err
	}
	t.Bounds, err = b.bounds(6)
	return t, err
}

func buildPlateau(call *value) (Schedule, error) {
	params := append([]string{"base", "signal", "mode", "patience", "cooldown", "factor",
		"threshold"}, boundsParams...)
	b, err := bind(call, params, 1)
	if err != nil {
		return nil, err
	}
	for _, i := range []int{3, 5} {
		if err := b.required(i, params[i]); err != nil {
			return nil, err
		}
	}
	p := &Plateau{}
	if p.Base, err = b.schedule(0, "base", nil); err != nil {
		return nil, err
	}
	if p.Signal, err = b.name(1, "signal", "loss"); err != nil {
		return nil, err
	}
	mode, err := b.name(2, "mode", string(Min))
	if err != nil {
		return nil, err
	}
	p.Mode = Mode(mode)
	if p.Patience, err = b.step(3, "patience", 0); err != nil {
		return nil, err
	}
	if p.Cooldown, err = b.step(4, "cooldown", 0); err != nil {
		return nil, err
	}
	if p.Factor, err = b.float(5, "factor", 0); err != nil {
		return nil, err
	}
	if p.Threshold, err = b.float(6, "threshold", 0); err != nil {
		return nil, err
	}
	p.Bounds, err = b.bounds(7)
	return p, err
}

func buildDual(call *value) (Schedule, error) {
	params := append([]string{"base", "signal", "bound", "rate"}, boundsParams...)
	b, err := bind(call, params, 4)
	if err != nil {
		return nil, err
	}
	d := &Dual{}
	if d.Base, err = b.schedule(0, "base", nil); err != nil {
		return nil, err
	}
	if d.Signal, err = b.name(1, "signal", ""); err != nil {
		return nil, err
	}
	if d.Bound, err = b.float(2, "bound", 0); err != nil {
		return nil, err
	}
	if d.Rate, err = b.float(3, "rate", 0); err != nil {
		return nil, err
	}
	d.Bounds, err = b.bounds(4)
	return d, err
}

func buildGuard(call *value) (Schedule, error) {
	params := append([]string{"base", "signal", "mode", "tolerance", "factor", "hold",
		"recover"}, boundsParams...)
	b, err := bind(call, params, 2)
	if err != nil {
		return nil, err
	}
	g := &Guard{}
	if g.Base, err = b.schedule(0, "base", nil); err != nil {
		return nil, err
	}
	if g.Signal, err = b.name(1, "signal", ""); err != nil {
		return nil, err
	}
	mode, err := b.name(2, "mode", string(Max))
	if err != nil {
		return nil, err
	}
	g.Mode = Mode(mode)
	if g.Tolerance, err = b.float(3, "tolerance", 0); err != nil {
		return nil, err
	}
	if g.Factor, err = b.float(4, "factor", 0.5); err != nil {
		return nil, err
	}
	if g.Hold, err = b.step(5, "hold", 0); err != nil {
		return nil, err
	}
	if g.Recover, err = b.float(6, "recover", 1); err != nil {
		return nil, err
	}
	g.Bounds, err = b.bounds(7)
	return g, err
}

func buildMilestones(call *value) (Schedule, error) {
	if len(call.args) == 0 {
		return nil, errorf("milestones", `missing argument "initial" (expected initial, `+
			"step:schedule, ...)")
	}
	ms := &Milestones{}
	for i, arg := range call.args {
		if arg.key != "" {
			return nil, errorf("milestones", "unknown argument %q (milestones takes "+
				"positional arguments only)", arg.key)
		}
		if i == 0 {
			s, err := scheduleOf("milestones", "initial schedule", arg.val)
			if err != nil {
				return nil, err
			}
			ms.Initial = s
			continue
		}
		name := "milestone " + strconv.Itoa(i)
		if arg.val.kind != pairValue {
			return nil, errorf("milestones", "%s (%s) is not of the form step:schedule", name,
				arg.val.describe())
		}
		left := &value{kind: numberValue, text: arg.val.text, num: arg.val.num}
		step, err := stepOf("milestones", name, left)
		if err != nil {
			return nil, err
		}
		s, err := scheduleOf("milestones", name+" schedule", arg.val.right)
		if err != nil {
			return nil, err
		}
		ms.Points = append(ms.Points, Milestone{Step: step, S: s})
	}
	return ms, nil
}
