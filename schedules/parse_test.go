package schedules

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// roundTripSpecs contains one or more specs for every function Parse accepts.
var roundTripSpecs = []string{
	"constant(0.5)",
	"constant(-0)",
	"linear(0, 1, 0, 100)",
	"linear(from=1e-3, to=2.5e+06, start=7, end=7)",
	"poly(0, 0.9, 0, 1000)",
	"poly(0, 0.9, 0, 1000, power=1.5)",
	"exp(1, 0.001, 10, 1010)",
	"cosine(1, 0, 0, 100)",
	"steps(0.1)",
	"steps(0.1, 100:0.5, 200:0.9)",
	"cyclic(0, 1, 100)",
	"restarts(1, 0, 100)",
	"restarts(1, 0, 100, mult=2)",
	"onecycle(0.1, 1, 0, 100)",
	"every(100, poly(0, 0.9, 0, 1050))",
	"delay(50, linear(0, 1, 0, 100))",
	"scale(2, cosine(1, 0, 0, 100))",
	"clamp(0.1, 0.8, linear(0, 1, 0, 100))",
	"join(linear(0, 1, 0, 100), 100, linear(0.5, 0, 0, 100))",
	"join(0.5, 10, every(3, delay(4, scale(-2, clamp(-1, 1, cyclic(-3, 3, 9))))))",
}

// TestParseRoundTrip checks that Parse(s.String()) equals s.
func TestParseRoundTrip(t *testing.T) {
	specs := append(append([]string{}, roundTripSpecs...), adaptiveSpecs...)
	specs = append(specs, `track(1, signal="loss ", target=0.1, kp=3, decreasing=true, init=2)`,
		`guard(1, signal="\xff", mode=min, tolerance=0, factor=0.5, hold=0)`)
	for i, spec := range specs {
		s, err := Parse(spec)
		if err != nil {
			t.Errorf("%d: Parse(%q): %v", i, spec, err)
			continue
		}
		text := s.(interface{ String() string }).String()
		again, err := Parse(text)
		if err != nil {
			t.Errorf("%d: Parse(%q) of String: %v", i, text, err)
			continue
		}
		if !reflect.DeepEqual(s, again) {
			t.Errorf("%d: Parse(%q) = %#v, want %#v", i, text, again, s)
		}
	}
}

// TestParseValues checks that Parse builds the value a spec names, with
// key=value arguments, defaults and white space.
func TestParseValues(t *testing.T) {
	cases := []struct {
		spec string
		want Schedule
	}{
		{"poly(0, 0.9, 0, 1000)", Poly{From: 0, To: 0.9, Start: 0, End: 1000, Power: 3}},
		{" poly ( to = 0.9 , from=0,end=1e3,start=0 ) ",
			Poly{From: 0, To: 0.9, Start: 0, End: 1000, Power: 3}},
		{"poly(0, 0.9, 0, 1000, 2)", Poly{From: 0, To: 0.9, Start: 0, End: 1000, Power: 2}},
		{"restarts(1, 0, 10)", Restarts{From: 1, To: 0, Period: 10, Mult: 1}},
		{"steps(1,\n\t5 : 2, 9:3)", Steps{Initial: 1, Points: []Point{{5, 2}, {9, 3}}}},
		{"every(n=10, schedule=0.5)", Every{N: 10, S: Constant{Value: 0.5}}},
		{"join(second=constant(2), step=5, first=constant(1))",
			Join{First: Constant{Value: 1}, Step: 5, Second: Constant{Value: 2}}},
	}
	for i, c := range cases {
		got, err := Parse(c.spec)
		if err != nil {
			t.Errorf("%d: Parse(%q): %v", i, c.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%d: Parse(%q) = %#v, want %#v", i, c.spec, got, c.want)
		}
	}
}

// TestParseErrors checks that each invalid spec is rejected with a
// message naming the function, the argument and the value.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		spec string
		want string
	}{
		{"poly(0, 0.9, 100, 50)", "schedules: poly: end (50) is before start (100)"},
		{"linear(0, NaN, 0, 10)", "to (NaN) is not a finite number"},
		{"linear(0, 1e999, 0, 10)", "linear: to (1e999) is not a finite number"},
		{"linear(-inf, 1, 0, 10)", "linear: from (-inf) is not a finite number"},
		{"linear(0, 1, -5, 10)", "linear: start (-5) is a negative step"},
		{"linear(0, 1, 1.5, 10)", "linear: start (1.5) is not a whole number of steps"},
		{"linear(0, 1, 0, 1e30)", "linear: end (1e30) is beyond the maximum step"},
		{"cyclic(0, 1, 0)", "cyclic: period (0) must be at least 1"},
		{"cyclic(0, 1, -4)", "cyclic: period (-4) is a negative step"},
		{"cyclic(1, 0, 4)", "cyclic: low (1) is above high (0)"},
		{"onecycle(1, 0, 0, 4)", "onecycle: low (1) is above high (0)"},
		{"clamp(1, 0, constant(1))", "clamp: low (1) is above high (0)"},
		{"restarts(1, 0, 0)", "restarts: period (0) must be at least 1"},
		{"restarts(1, 0, 10, mult=0.5)", "restarts: mult (0.5) is less than 1"},
		{"poly(0, 1, 0, 10, power=0)", "poly: power (0) must be positive"},
		{"poly(0, 1, 0, 10, power=-1)", "poly: power (-1) must be positive"},
		{"exp(0, 1, 0, 10)", "exp: from (0) must be positive"},
		{"exp(1, -1, 0, 10)", "exp: to (-1) must be positive"},
		{"delay(-3, constant(1))", "delay: steps (-3) is a negative step"},
		{"every(0, constant(1))", "every: n (0) must be at least 1"},
		{"every(10, linear(0, 1, 5, 2))", "linear: end (2) is before start (5)"},
		{"steps(0, 10:1, 10:2)", "steps: boundary 2 (10) is not after the boundary before"},
		{"steps(0, 10:1, 5:2)", "steps: boundary 2 (5) is not after the boundary before"},
		{"steps(0, -1:1)", "steps: boundary 1 (-1) is a negative step"},
		{"steps(0, 4)", "steps: boundary 1 (4) is not of the form step:value"},
		{"steps()", `steps: missing argument "initial"`},
		{"poly(1)", `poly: missing argument "to" (got 1 of the 4 required: from, to, start, end)`},
		{"constant(Inf)", "constant: value (Inf) is not a finite number"},
		{"linear(0, 1, 0)", `linear: missing argument "end" (got 3 of the 4 required: from, to, start, end)`},
		{"linear(0, 1, 0, 10, 3)", "linear: got 5 arguments, expected at most 4"},
		{"constant()", `constant: missing argument "value"`},
		{"poly(0, 1, 0, 10, pow=2)", `poly: unknown argument "pow"`},
		{"poly(0, 1, 0, end=10, end=20)", "poly: argument end is given twice"},
		{"poly(0, 1, start=0, 10)", "poly: positional argument 4 follows a key=value"},
		{"sine(0, 1)", `schedules: unknown function "sine"`},
		{"scale(2, banana)", "scale: schedule (banana) is not a schedule"},
		{"linear(0, 1, 0, constant(3))", "linear: end (constant(...)) is not a finite number"},
		{"linear(0, 1, 0, 10", `expected ')', found end of input`},
		{"linear(0, 1, 0, 10))", `unexpected ')' after the end of the schedule`},
		{"linear(0,, 1)", "expected a value, found ','"},
		{"0.5", "is not a call"},
		{"", "expected a value, found end of input"},
		{"linear(0, 1.2.3, 0, 10)", `invalid number "1.2.3"`},
		{"track(1, target=0.5, kp=-1)", "track: kp (-1) is negative"},
		{"track(1, signal=s)", `track: missing argument "target"`},
		{"track(1, target=0.5)", "track: kp and ki are both 0"},
		{"track(1, target=0.5, ki=1, init=0)", "track: init (0) must be positive"},
		{"track(1, target=0.5, ki=1, min=2, max=1)", "track: min (2) is above max (1)"},
		{"track(1, target=0.5, ki=1, init=5, max=1)", "track: init (5) is outside [min, max]"},
		{"track(1, target=0.5, decreasing=yes)", "decreasing (yes) is neither true nor false"},
		{"track(1, signal=2, target=0.5)", "track: signal (2) is not a name"},
		{`track(1, signal="", target=0.5, ki=1)`, "track: signal name is empty"},
		{"plateau(1, patience=0, factor=0.5)", "plateau: patience (0) must be at least 1"},
		{"plateau(1, patience=2, factor=1)", "plateau: factor (1) would never move m"},
		{"plateau(1, patience=2)", `plateau: missing argument "factor"`},
		{"plateau(1, mode=up, patience=2, factor=2)", `plateau: mode ("up") is neither`},
		{"dual(1, norm, 1, 0)", "dual: rate (0) must be positive"},
		{"dual(1, norm, 1, 0.1, min=-1)", "dual: min (-1) is negative"},
		{"guard(1, acc, factor=1.5)", "guard: factor (1.5) is not below 1"},
		{"guard(1, acc, hold=-2)", "guard: hold (-2) is a negative step"},
		{"guard(1, acc, recover=0.5)", "guard: recover (0.5) is less than 1"},
		{"milestones(1, 10:2, 5:3)", "milestones: milestone 2 (5) is not after"},
		{"every(10, dual(1, norm, 1, 0.1))", "every: schedule (dual(constant(1), signal=norm, " +
			"bound=1, rate=0.1)) is adaptive"},
		{"track(1, target=guard(1, acc))", "track: target (guard("},
		{"milestones(1, 2)", "milestones: milestone 1 (2) is not of the form step:schedule"},
		{strings.Repeat("scale(1, ", 70) + "constant(1)" + strings.Repeat(")", 70),
			"nested deeper than 64"},
	}
	for i, c := range cases {
		s, err := Parse(c.spec)
		if err == nil {
			t.Errorf("%d: Parse(%q) = %v, want an error containing %q", i, c.spec, s, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d: Parse(%q) error %q, want it to contain %q", i, c.spec, err, c.want)
		}
		if !strings.HasPrefix(err.Error(), "schedules: ") {
			t.Errorf("%d: Parse(%q) error %q lacks the package prefix", i, c.spec, err)
		}
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// prints to a spec that parses back to an equal schedule.
func FuzzParse(f *testing.F) {
	for _, spec := range roundTripSpecs {
		f.Add(spec)
	}
	f.Add("steps(0, 1:2, 3:4)")
	f.Add(`track(constant(1), signal="a b", target=0.5, kp=1)`)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if err != nil {
			return
		}
		st, ok := s.(interface{ String() string })
		if !ok {
			t.Fatalf("Parse(%q) returned %T without a String method", spec, s)
		}
		text := st.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its String %q fails: %v", spec, text, err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("Parse(%q) = %#v, but Parse(%q) = %#v", spec, s, text, again)
		}
		_ = s.At(0)
		_ = s.At(1000)
	})
}

// TestParseWrittenForms checks that positional, key=value and spaced
// forms of each function parse to the same schedule, and that String
// writes it in the canonical form, which parses back to it.
func TestParseWrittenForms(t *testing.T) {
	cases := []struct {
		spec, canonical string
	}{
		{"constant( value = 2.5 )", "constant(2.5)"},
		{"linear(to=1, from=0, end=100, start=0)", "linear(0, 1, 0, 100)"},
		{"poly(0, 0.9,\tstart = 0, end = 1000, power = 3)", "poly(0, 0.9, 0, 1000)"},
		{"poly ( 0 , 0.9 , 0 , 1000 , 2 )", "poly(0, 0.9, 0, 1000, power=2)"},
		{"exp(from=1, to=1e-3, start=10, end=1010)", "exp(1, 0.001, 10, 1010)"},
		{"cosine(1,0,0,100)", "cosine(1, 0, 0, 100)"},
		{"steps( 0.1 ,100 : 0.5,\n200:0.9 )", "steps(0.1, 100:0.5, 200:0.9)"},
		{"cyclic(period=100, high=1, low=0)", "cyclic(0, 1, 100)"},
		{"restarts(1, 0, period=100, mult=1)", "restarts(1, 0, 100)"},
		{"restarts(1, 0, 100, 2)", "restarts(1, 0, 100, mult=2)"},
		{"onecycle(high=1, low=0.1, start=0, end=100)", "onecycle(0.1, 1, 0, 100)"},
		{"every(schedule=poly(0, 0.9, 0, 1050), n=100)", "every(100, poly(0, 0.9, 0, 1050))"},
		{"delay(steps=50, schedule=linear(0, 1, 0, 100))", "delay(50, linear(0, 1, 0, 100))"},
		{"scale(factor=2, schedule=0.5)", "scale(2, constant(0.5))"},
		{"clamp(0.1, 0.8, schedule = linear(0,1,0,100))",
			"clamp(0.1, 0.8, linear(0, 1, 0, 100))"},
		{"join( first = 1 , step = 10 , second = every(5, linear(1, 0, 0, 20)) )",
			"join(constant(1), 10, every(5, linear(1, 0, 0, 20)))"},
		{" every ( 10 , delay ( 5 , scale ( 2 , clamp ( 0 , 1 , join ( 0.5 , 3 , " +
			"cosine ( 1 , 0 , 0 , 9 ) ) ) ) ) ) ",
			"every(10, delay(5, scale(2, clamp(0, 1, join(constant(0.5), 3, " +
				"cosine(1, 0, 0, 9))))))"},
		{"track(0.1, target=0.5, ki=0.2)",
			"track(constant(0.1), signal=sparsity, target=constant(0.5), ki=0.2)"},
		{`track(base=0.1, signal="val_loss", target=linear(1, 0.5, 0, 10), kp=1, ` +
			`decreasing=true, init=1, min=0, max=1e6)`,
			"track(constant(0.1), signal=val_loss, target=linear(1, 0.5, 0, 10), kp=1, " +
				"decreasing=true)"},
		{"plateau(1, patience=3, factor=0.5)",
			"plateau(constant(1), signal=loss, mode=min, patience=3, factor=0.5)"},
		{"dual(1, norm, 2, 0.1, 0.5)",
			"dual(constant(1), signal=norm, bound=2, rate=0.1, init=0.5)"},
		{"guard(1, recall/0)",
			"guard(constant(1), signal=recall/0, mode=max, tolerance=0, factor=0.5, hold=0)"},
		{"milestones( 1 , 10 : guard(2, acc) , 20:0.5 )",
			"milestones(constant(1), 10:guard(constant(2), signal=acc, mode=max, " +
				"tolerance=0, factor=0.5, hold=0), 20:constant(0.5))"},
	}
	for i, c := range cases {
		got, err := Parse(c.spec)
		if err != nil {
			t.Errorf("%d: Parse(%q): %v", i, c.spec, err)
			continue
		}
		want, err := Parse(c.canonical)
		if err != nil {
			t.Errorf("%d: Parse(%q): %v", i, c.canonical, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d: Parse(%q) = %#v, want %#v", i, c.spec, got, want)
		}
		if text := got.(interface{ String() string }).String(); text != c.canonical {
			t.Errorf("%d: Parse(%q).String() = %q, want %q", i, c.spec, text, c.canonical)
		}
	}
}

// TestValidateNamesField checks Validate on value types built in code:
// the error names the function, the field and the value.
func TestValidateNamesField(t *testing.T) {
	lin := Linear{From: 0, To: 1, Start: 0, End: 10}
	cases := []struct {
		s    Validator
		want string
	}{
		{Constant{Value: math.Inf(1)}, "schedules: constant: value (+Inf) is not a finite number"},
		{Linear{From: math.NaN(), End: 1}, "schedules: linear: from (NaN) is not a finite"},
		{Linear{Start: 5, End: 2}, "schedules: linear: end (2) is before start (5)"},
		{Poly{End: 10, Power: -2}, "schedules: poly: power (-2) must be positive"},
		{Exp{From: -1, To: 1, End: 10}, "schedules: exp: from (-1) must be positive"},
		{Cosine{Start: -1, End: 10}, "schedules: cosine: start (-1) is a negative step"},
		{Steps{Initial: 0, Points: []Point{{Step: 4, Value: 1}, {Step: 4, Value: 2}}},
			"schedules: steps: boundary 2 (4) is not after the boundary before it (4)"},
		{Steps{Points: []Point{{Step: 1, Value: math.NaN()}}},
			"schedules: steps: value at boundary 1 (NaN) is not a finite number"},
		{Cyclic{Low: 0, High: 1}, "schedules: cyclic: period (0) must be at least 1"},
		{Restarts{From: 1, Period: 10, Mult: 0.9}, "schedules: restarts: mult (0.9) is less than 1"},
		{OneCycle{Low: 2, High: 1, End: 10}, "schedules: onecycle: low (2) is above high (1)"},
		{Every{N: 0, S: lin}, "schedules: every: n (0) must be at least 1"},
		{Every{N: 3}, "schedules: every: schedule is missing"},
		{Every{N: 3, S: Linear{Start: 2, End: 1}}, "schedules: linear: end (1) is before start"},
		{Delay{Steps: -1, S: lin}, "schedules: delay: steps (-1) is a negative step"},
		{Delay{Steps: MaxStep + 1, S: lin}, "schedules: delay: steps (1099511627777) is beyond"},
		{Scale{Factor: math.NaN(), S: lin}, "schedules: scale: factor (NaN) is not a finite"},
		{Clamp{Low: 1, High: 0, S: lin}, "schedules: clamp: low (1) is above high (0)"},
		{Join{First: lin, Step: -3, Second: lin}, "schedules: join: step (-3) is a negative step"},
		{Join{First: lin, Step: 3}, "schedules: join: second schedule is missing"},
		{Join{First: MustParse("dual(1, norm, 1, 0.1)"), Step: 3, Second: lin},
			"schedules: join: first schedule (dual(constant(1), signal=norm, bound=1, " +
				"rate=0.1)) is adaptive"},
		{&Track{Base: lin, Signal: "s", Target: lin, Ki: 1, Bounds: Bounds{Init: 1, Max: 0.5}},
			"schedules: track: init (1) is outside [min, max] = [0, 0.5]"},
		{&Plateau{Base: lin, Signal: "loss", Mode: "down", Patience: 1, Factor: 2},
			`schedules: plateau: mode ("down") is neither min nor max`},
		{&Dual{Base: lin, Signal: "norm", Bound: 1, Rate: 1, Bounds: Bounds{Init: 1, Min: 2,
			Max: 3}}, "schedules: dual: init (1) is outside [min, max] = [2, 3]"},
		{&Guard{Base: lin, Signal: "acc", Mode: Max, Tolerance: -0.1, Factor: 0.5, Recover: 1},
			"schedules: guard: tolerance (-0.1) is negative"},
		{&Milestones{Initial: lin, Points: []Milestone{{Step: 5, S: nil}}},
			"schedules: milestones: milestone 1 schedule is missing"},
	}
	for i, c := range cases {
		err := c.s.Validate()
		if err == nil {
			t.Errorf("%d: %#v.Validate() = nil, want an error containing %q", i, c.s, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d: Validate() = %q, want it to contain %q", i, err, c.want)
		}
	}
}

func TestParseErrorShortensLongValues(t *testing.T) {
	long := strings.Repeat("1", 5000)
	_, err := Parse("linear(0, 1, 0, " + long + ")")
	if err == nil {
		t.Fatal("Parse accepted an end beyond the maximum step")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error of %d bytes repeats the value: %.200s…", len(err.Error()), err)
	}
	if !strings.Contains(err.Error(), "…") {
		t.Errorf("error %q does not mark the cut", err)
	}
}
