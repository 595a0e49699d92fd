package schedules

import (
	"math"
	"reflect"
	"testing"
)

// TestAtClosedForms checks each timetable and combinator against its
// closed form, computed by hand from the formulas in the type docs.
func TestAtClosedForms(t *testing.T) {
	poly := Poly{From: 0, To: 0.9, Start: 0, End: 1050, Power: 3}
	zhuGupta := func(step float64) float64 { return 0.9 - 0.9*math.Pow(1-step/1050, 3) }
	lin := Linear{From: 0, To: 1, Start: 10, End: 35}
	cases := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"constant", Constant{Value: 0.3}, 7, 0.3},
		{"constant/negative step", Constant{Value: 0.3}, -7, 0.3},

		{"linear/before start", Linear{From: 0, To: 1, Start: 100, End: 200}, 0, 0},
		{"linear/start", Linear{From: 0, To: 1, Start: 100, End: 200}, 100, 0},
		{"linear/middle", Linear{From: 0, To: 1, Start: 100, End: 200}, 150, 0.5},
		{"linear/end", Linear{From: 0, To: 1, Start: 100, End: 200}, 200, 1},
		{"linear/after end", Linear{From: 0, To: 1, Start: 100, End: 200}, 900, 1},
		{"linear/negative step", Linear{From: 2, To: 1, Start: 0, End: 10}, -3, 2},
		{"linear/jump before", Linear{From: 0, To: 1, Start: 100, End: 100}, 99, 0},
		{"linear/jump at", Linear{From: 0, To: 1, Start: 100, End: 100}, 100, 1},

		{"poly/start", poly, 0, 0},
		{"poly/quarter", Poly{From: 0, To: 0.9, Start: 0, End: 1000, Power: 3}, 250, 0.5203125},
		{"poly/half", Poly{From: 0, To: 0.9, Start: 0, End: 1000, Power: 3}, 500, 0.7875},
		{"poly/end", poly, 1050, 0.9},
		{"poly/after end", poly, 5000, 0.9},
		{"poly/power 2", Poly{From: 1, To: 0, Start: 0, End: 10, Power: 2}, 5, 0.25},
		{"poly/power 0.5", Poly{From: 1, To: 0, Start: 0, End: 100, Power: 0.5}, 75, 0.5},

		{"exp/start", Exp{From: 1, To: 0.01, Start: 0, End: 100}, 0, 1},
		{"exp/half", Exp{From: 1, To: 0.01, Start: 0, End: 100}, 50, 0.1},
		{"exp/end", Exp{From: 1, To: 0.01, Start: 0, End: 100}, 100, 0.01},

		{"cosine/start", Cosine{From: 1, To: 0, Start: 0, End: 100}, 0, 1},
		{"cosine/quarter", Cosine{From: 1, To: 0, Start: 0, End: 100}, 25,
			(1 + math.Sqrt2/2) / 2},
		{"cosine/half", Cosine{From: 1, To: 0, Start: 0, End: 100}, 50, 0.5},
		{"cosine/end", Cosine{From: 1, To: 0, Start: 0, End: 100}, 100, 0},

		{"steps/initial", stepsABC(), 99, 0.1},
		{"steps/first boundary", stepsABC(), 100, 0.5},
		{"steps/before second", stepsABC(), 199, 0.5},
		{"steps/second boundary", stepsABC(), 200, 0.9},
		{"steps/after", stepsABC(), 1 << 30, 0.9},
		{"steps/negative step", stepsABC(), -1, 0.1},
		{"steps/no points", Steps{Initial: 0.4}, 10, 0.4},

		{"cyclic/0", Cyclic{Low: 0, High: 1, Period: 100}, 0, 0},
		{"cyclic/quarter", Cyclic{Low: 0, High: 1, Period: 100}, 25, 0.5},
		{"cyclic/half", Cyclic{Low: 0, High: 1, Period: 100}, 50, 1},
		{"cyclic/three quarters", Cyclic{Low: 0, High: 1, Period: 100}, 75, 0.5},
		{"cyclic/period", Cyclic{Low: 0, High: 1, Period: 100}, 100, 0},
		{"cyclic/second peak", Cyclic{Low: 0.2, High: 0.4, Period: 100}, 150, 0.4},

		{"restarts/start", Restarts{From: 1, To: 0, Period: 100, Mult: 1}, 0, 1},
		{"restarts/mult 1 middle", Restarts{From: 1, To: 0, Period: 100, Mult: 1}, 150, 0.5},
		{"restarts/mult 1 restart", Restarts{From: 1, To: 0, Period: 100, Mult: 1}, 200, 1},
		{"restarts/mult 2 first", Restarts{From: 1, To: 0, Period: 100, Mult: 2}, 50, 0.5},
		{"restarts/mult 2 restart", Restarts{From: 1, To: 0, Period: 100, Mult: 2}, 100, 1},
		{"restarts/mult 2 second", Restarts{From: 1, To: 0, Period: 100, Mult: 2}, 200, 0.5},
		{"restarts/mult 2 last of second", Restarts{From: 1, To: 0, Period: 100, Mult: 2}, 299,
			(1 + math.Cos(math.Pi*199/200)) / 2},
		{"restarts/mult 2 third", Restarts{From: 1, To: 0, Period: 100, Mult: 2}, 300, 1},
		{"restarts/mult 2 third middle", Restarts{From: 1, To: 0, Period: 100, Mult: 2}, 500,
			0.5},
		{"restarts/mult 3 cycle 4", Restarts{From: 2, To: 1, Period: 10, Mult: 3}, 130 + 135,
			1.5},

		{"onecycle/start", OneCycle{Low: 0.1, High: 1, Start: 0, End: 100}, 0, 0.1},
		{"onecycle/quarter", OneCycle{Low: 0.1, High: 1, Start: 0, End: 100}, 25, 0.55},
		{"onecycle/peak", OneCycle{Low: 0.1, High: 1, Start: 0, End: 100}, 50, 1},
		{"onecycle/end", OneCycle{Low: 0.1, High: 1, Start: 0, End: 100}, 100, 0.1},
		{"onecycle/after", OneCycle{Low: 0.1, High: 1, Start: 0, End: 100}, 101, 0.1},

		// Every(100, poly over 1050 steps): 100 does not divide 1050.
		{"every/0", Every{N: 100, S: poly}, 0, 0},
		{"every/99", Every{N: 100, S: poly}, 99, 0},
		{"every/100", Every{N: 100, S: poly}, 100, zhuGupta(100)},
		{"every/999", Every{N: 100, S: poly}, 999, zhuGupta(900)},
		{"every/1000", Every{N: 100, S: poly}, 1000, zhuGupta(1000)},
		{"every/1049", Every{N: 100, S: poly}, 1049, zhuGupta(1000)},
		{"every/end", Every{N: 100, S: poly}, 1050, 0.9},
		{"every/after end", Every{N: 100, S: poly}, 1051, 0.9},
		{"every/offset start 19", Every{N: 10, S: lin}, 19, 0},
		{"every/offset start 20", Every{N: 10, S: lin}, 20, 0.4},
		{"every/offset start 34", Every{N: 10, S: lin}, 34, 0.8},
		{"every/offset start end", Every{N: 10, S: lin}, 35, 1},
		{"every/no span", Every{N: 10, S: Cyclic{Low: 0, High: 1, Period: 40}}, 19, 0.5},

		{"delay/before", Delay{Steps: 50, S: Linear{From: 0, To: 1, End: 100}}, 49, 0},
		{"delay/middle", Delay{Steps: 50, S: Linear{From: 0, To: 1, End: 100}}, 100, 0.5},
		{"delay/end", Delay{Steps: 50, S: Linear{From: 0, To: 1, End: 100}}, 150, 1},

		{"delay/start", Delay{Steps: 50, S: Linear{From: 0.2, To: 1, End: 100}}, 50, 0.2},
		{"delay/after end", Delay{Steps: 50, S: Linear{From: 0, To: 1, End: 100}}, 400, 1},

		{"scale/start", Scale{Factor: -3, S: Linear{From: 1, To: 2, End: 100}}, 0, -3},
		{"scale", Scale{Factor: 2, S: Linear{From: 0, To: 1, End: 100}}, 50, 1},
		{"scale/end", Scale{Factor: -3, S: Linear{From: 1, To: 2, End: 100}}, 100, -6},

		{"clamp/low", Clamp{Low: 0.2, High: 0.8, S: Linear{From: 0, To: 1, End: 100}}, 10,
			0.2},
		{"clamp/inside", Clamp{Low: 0.2, High: 0.8, S: Linear{From: 0, To: 1, End: 100}}, 50,
			0.5},
		{"clamp/high", Clamp{Low: 0.2, High: 0.8, S: Linear{From: 0, To: 1, End: 100}}, 90,
			0.8},

		{"join/before seam", joinAB(), 99, 0.99},
		{"join/seam", joinAB(), 100, 0.5},
		{"join/after seam", joinAB(), 150, 0.25},
		{"join/end", joinAB(), 200, 0},
		{"join/start", joinAB(), 0, 0},
		// A staircase joined at step 50: its first hold ends at the seam.
		{"join/every before seam", Join{First: Every{N: 20, S: Linear{From: 0, To: 1,
			End: 100}}, Step: 50, Second: Constant{Value: 2}}, 49, 0.4},
		{"join/every at seam", Join{First: Every{N: 20, S: Linear{From: 0, To: 1,
			End: 100}}, Step: 50, Second: Constant{Value: 2}}, 50, 2},
		{"join/restarted every", Join{First: Constant{Value: 2}, Step: 50, Second: Every{N: 20,
			S: Linear{From: 0, To: 1, End: 100}}}, 89, 0.2},
	}
	for i, c := range cases {
		got := c.s.At(c.step)
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%d %s: At(%d) = %v, want %v", i, c.name, c.step, got, c.want)
		}
	}
}

// stepsABC is steps(0.1, 100:0.5, 200:0.9).
func stepsABC() Steps {
	return Steps{Initial: 0.1, Points: []Point{{Step: 100, Value: 0.5}, {Step: 200, Value: 0.9}}}
}

// joinAB rises from 0 to 1 over 100 steps, then restarts a fall from 0.5
// to 0 over 100 steps at step 100.
func joinAB() Join {
	return Join{First: Linear{From: 0, To: 1, End: 100}, Step: 100,
		Second: Linear{From: 0.5, To: 0, End: 100}}
}

// TestAtEndExact checks that every ramp returns exactly To at its end.
func TestAtEndExact(t *testing.T) {
	cases := []Schedule{
		Linear{From: 0.1, To: 0.7, Start: 3, End: 997},
		Poly{From: 0.1, To: 0.7, Start: 3, End: 997, Power: 3},
		Exp{From: 0.1, To: 0.7, Start: 3, End: 997},
		Cosine{From: 0.1, To: 0.7, Start: 3, End: 997},
		Every{N: 7, S: Poly{From: 0.1, To: 0.7, Start: 3, End: 997, Power: 3}},
	}
	for i, s := range cases {
		if got := s.At(997); got != 0.7 {
			t.Errorf("%d: At(end) = %v, want exactly 0.7", i, got)
		}
	}
}

func TestSpan(t *testing.T) {
	lin := Linear{From: 0, To: 1, Start: 10, End: 100}
	cases := []struct {
		s          Spanner
		start, end int
		ok         bool
	}{
		{lin, 10, 100, true},
		{Every{N: 3, S: lin}, 10, 100, true},
		{Delay{Steps: 5, S: lin}, 15, 105, true},
		{Scale{Factor: 2, S: lin}, 10, 100, true},
		{Clamp{Low: 0, High: 1, S: lin}, 10, 100, true},
		{Join{First: lin, Step: 50, Second: lin}, 10, 150, true},
		{Join{First: Constant{}, Step: 50, Second: lin}, 0, 150, true},
		{Join{First: lin, Step: 50, Second: Constant{}}, 0, 0, false},
		{Steps{Initial: 0, Points: []Point{{5, 1}, {9, 2}}}, 5, 9, true},
		{Steps{Initial: 0}, 0, 0, false},
		{Every{N: 3, S: Cyclic{Low: 0, High: 1, Period: 4}}, 0, 0, false},
	}
	for i, c := range cases {
		start, end, ok := c.s.Span()
		if start != c.start || end != c.end || ok != c.ok {
			t.Errorf("%d: Span() = %d, %d, %v, want %d, %d, %v", i, start, end, ok,
				c.start, c.end, c.ok)
		}
	}
}

func TestEveryChangePoints(t *testing.T) {
	e := Every{N: 100, S: Poly{From: 0, To: 0.9, Start: 0, End: 1050, Power: 3}}
	got := e.ChangePoints(2000)
	want := []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1050}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ChangePoints(2000) = %v, want %v", got, want)
	}
	if got := e.ChangePoints(250); !reflect.DeepEqual(got, []int{0, 100, 200}) {
		t.Errorf("ChangePoints(250) = %v, want [0 100 200]", got)
	}
}

// TestRestartsBoundaries checks that each cycle of a restarts schedule
// starts at From, including late cycles where the closed-form cycle index
// is computed in floating point.
func TestRestartsBoundaries(t *testing.T) {
	for _, mult := range []float64{1.5, 2, 3} {
		r := Restarts{From: 1, To: 0, Period: 8, Mult: mult}
		start, length := 0.0, 8.0
		for cycle := 0; cycle < 20; cycle++ {
			step := int(start)
			if float64(step) == start {
				if got := r.At(step); got != 1 {
					t.Errorf("mult %v cycle %d: At(%d) = %v, want 1", mult, cycle, step, got)
				}
			}
			start += length
			length *= mult
		}
	}
}

func TestValidateSparsity(t *testing.T) {
	cases := []struct {
		s          Schedule
		start, end int
		ok         bool
	}{
		{Poly{From: 0, To: 0.9, End: 100, Power: 3}, 0, 200, true},
		{Linear{From: 0, To: 1, End: 100}, 0, 99, true},
		{Linear{From: 0, To: 1, End: 100}, 0, 100, false},
		{Linear{From: -0.1, To: 0.5, End: 100}, 0, 100, false},
		{Constant{Value: math.NaN()}, 0, 0, false},
		{Constant{Value: 0.5}, 10, 5, false},
	}
	for i, c := range cases {
		err := ValidateSparsity(c.s, c.start, c.end)
		if (err == nil) != c.ok {
			t.Errorf("%d: ValidateSparsity = %v, want ok %v", i, err, c.ok)
		}
	}
}

// TestAtFiniteOnExtremeArguments checks that timetables whose arguments
// are valid but near the float64 limits return finite values between
// their extremes instead of overflowing.
func TestAtFiniteOnExtremeArguments(t *testing.T) {
	const big = 1.7e308
	cases := []struct {
		spec     string
		low, top float64
	}{
		{"linear(-1.7e308, 1.7e308, 0, 10)", -big, big},
		{"poly(1.7e308, -1.7e308, 0, 10, power=1e308)", -big, big},
		{"cosine(-1.7e308, 1.7e308, 0, 10)", -big, big},
		{"cyclic(-1.7e308, 1.7e308, 10)", -big, big},
		{"onecycle(-1.7e308, 1.7e308, 0, 10)", -big, big},
		{"restarts(1.7e308, -1.7e308, 10)", -big, big},
		{"restarts(1, 0, 10, mult=1e300)", 0, 1},
		{"restarts(1, 0, 1099511627776, mult=1e308)", 0, 1},
		{"exp(1e-300, 1e300, 0, 10)", 1e-300, 1e300},
		{"exp(1e300, 1e-300, 0, 10)", 1e-300, 1e300},
	}
	for i, c := range cases {
		s := MustParse(c.spec)
		for _, step := range []int{0, 1, 3, 5, 7, 10, 11, 1000, MaxStep} {
			if got := s.At(step); !(got >= c.low && got <= c.top) {
				t.Errorf("%d: %s At(%d) = %v, want a value in [%v, %v]", i, c.spec, step, got,
					c.low, c.top)
			}
		}
	}
}
