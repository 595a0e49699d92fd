package schedules

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestTrackUpdateClosedForm checks the PI law m = Init·exp(Kp·e + Ki·I)
// step by step, and that the integral stops while m is at a bound.
func TestTrackUpdateClosedForm(t *testing.T) {
	tr := &Track{Base: Constant{Value: 2}, Signal: "s", Target: Constant{Value: 0.5},
		Kp: 1, Ki: 0.5, Bounds: Bounds{Init: 1, Min: 0.01, Max: 2}}
	cases := []struct {
		signal float64
		wantM  float64
	}{
		{0.3, math.Exp(0.2 + 0.5*0.2)},             // e = 0.2, I = 0.2
		{0.6, math.Exp(-0.1 + 0.5*0.1)},            // e = −0.1, I = 0.1
		{-1, 2},                                    // e = 1.5 saturates at max; I stays 0.1
		{0.5, math.Exp(0 + 0.5*0.1)},               // e = 0, I = 0.1
		{0.5 - 0.2, math.Exp(0.2 + 0.5*(0.1+0.2))}, // e = 0.2, I = 0.3
	}
	for i, c := range cases {
		tr.Update(i, map[string]float64{"s": c.signal})
		if got := tr.M(); math.Abs(got-c.wantM) > 1e-12 {
			t.Errorf("%d: m = %v, want %v", i, got, c.wantM)
		}
		if got := tr.At(i); math.Abs(got-2*c.wantM) > 1e-12 {
			t.Errorf("%d: At = %v, want %v", i, got, 2*c.wantM)
		}
	}
}

// TestPlateauSequence follows a plateau policy through a hand-traced
// sequence: patience 2, cooldown 1, factor 0.5, smaller is better.
func TestPlateauSequence(t *testing.T) {
	p := &Plateau{Base: Constant{Value: 1}, Signal: "loss", Mode: Min, Patience: 2,
		Cooldown: 1, Factor: 0.5, Bounds: Bounds{Init: 1, Min: 0.2, Max: 1}}
	signals := []float64{1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8, 0.9, 0.9, 0.9}
	wantM := []float64{1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2}
	wantMoves := map[int]bool{3: true, 6: true, 9: true}
	for i, v := range signals {
		d := p.Update(i, map[string]float64{"loss": v})
		if got := p.M(); got != wantM[i] {
			t.Errorf("update %d: m = %v, want %v", i, got, wantM[i])
		}
		if (len(d) > 0) != wantMoves[i] {
			t.Errorf("update %d: decisions %v, want a move %v", i, d, wantMoves[i])
		}
	}
}

// TestDualSequence checks m ← clamp(m + rate·(signal − bound)).
func TestDualSequence(t *testing.T) {
	d := &Dual{Base: Constant{Value: 3}, Signal: "norm", Bound: 1, Rate: 0.5,
		Bounds: Bounds{Init: 1, Min: 0, Max: 10}}
	cases := []struct {
		signal, wantM float64
		moved         bool
	}{
		{3, 2, true},     // violated by 2
		{2, 2.5, true},   // violated by 1
		{0, 2, true},     // holds with slack 1
		{-10, 0, true},   // clamped at min
		{0.5, 0, false},  // still at min
		{1, 0, false},    // on the bound
		{100, 10, true},  // clamped at max
		{1.5, 10, false}, // still at max
	}
	for i, c := range cases {
		decisions := d.Update(i, map[string]float64{"norm": c.signal})
		if got := d.M(); got != c.wantM {
			t.Errorf("%d: m = %v, want %v", i, got, c.wantM)
		}
		if (len(decisions) > 0) != c.moved {
			t.Errorf("%d: decisions %v, want a move %v", i, decisions, c.moved)
		}
		if got := d.At(i); got != 3*c.wantM {
			t.Errorf("%d: At = %v, want %v", i, got, 3*c.wantM)
		}
	}
}

// TestGuardSequence follows a guard through a hand-traced sequence:
// tolerance 0.05, factor 0.5, hold 2, recover 2, larger is better.
func TestGuardSequence(t *testing.T) {
	g := &Guard{Base: Constant{Value: 1}, Signal: "recall/0", Mode: Max, Tolerance: 0.05,
		Factor: 0.5, Hold: 2, Recover: 2, Bounds: Bounds{Init: 1, Min: 0, Max: 1}}
	signals := []float64{0.8, 0.78, 0.7, 0.7, 0.7, 0.7, 0.79, 0.79, 0.79, 0.8, 0.8}
	wantM := []float64{1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.5, 1, 1}
	for i, v := range signals {
		d := g.Update(i, map[string]float64{"recall/0": v})
		if got := g.M(); got != wantM[i] {
			t.Errorf("update %d: m = %v, want %v", i, got, wantM[i])
		}
		moved := i > 0 && wantM[i] != wantM[i-1]
		if (len(d) > 0) != moved {
			t.Errorf("update %d: decisions %v, want a move %v", i, d, moved)
		}
		if moved && (d[0].Old != wantM[i-1] || d[0].New != wantM[i] || d[0].Step != i ||
			d[0].Policy != "guard" || d[0].Signal != "recall/0" || d[0].Value != v) {
			t.Errorf("update %d: decision %+v", i, d[0])
		}
	}
}

func TestMilestonesSwitch(t *testing.T) {
	s, err := Parse("milestones(constant(1), 10: linear(0, 1, 0, 100), " +
		"20: dual(constant(1), signal=norm, bound=0, rate=1))")
	if err != nil {
		t.Fatal(err)
	}
	ms := s.(*Milestones)
	for _, c := range []struct {
		step int
		want float64
	}{{0, 1}, {9, 1}, {10, 0.1}, {19, 0.19}, {20, 1}} {
		if got := ms.At(c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("At(%d) = %v, want %v", c.step, got, c.want)
		}
	}
	d := ms.Update(9, map[string]float64{"norm": 5})
	if len(d) != 1 || d[0].Policy != "milestones" || d[0].Old != 1 || d[0].New != 0.1 {
		t.Errorf("Update(9) = %+v, want one switch from 1 to 0.1", d)
	}
	if d := ms.Update(15, map[string]float64{"norm": 5}); d != nil {
		t.Errorf("Update(15) = %+v, want nil", d)
	}
	d = ms.Update(20, map[string]float64{"norm": 5})
	if len(d) != 1 || d[0].Policy != "dual" || d[0].New != 6 {
		t.Errorf("Update(20) = %+v, want a dual move to 6", d)
	}
	if got := ms.At(21); got != 6 {
		t.Errorf("At(21) = %v, want 6", got)
	}
}

// TestNonFiniteSignalIgnored checks that a NaN or infinite signal leaves
// m unchanged and is noted in a decision that JSON can encode.
func TestNonFiniteSignalIgnored(t *testing.T) {
	for i, spec := range adaptiveSpecs {
		s, err := Parse(spec)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		a := s.(Adaptive)
		before := a.At(5)
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			signals := map[string]float64{"sparsity": v, "loss": v, "norm": v, "val_acc": v}
			d := a.Update(5, signals)
			if _, ok := a.(*Milestones); !ok && (len(d) != 1 || d[0].Old != d[0].New ||
				d[0].Value != 0) {
				t.Errorf("%d: Update(%v) = %+v, want one note", i, v, d)
			}
			if got := a.At(5); got != before {
				t.Errorf("%d: At after %v = %v, want %v", i, v, got, before)
			}
		}
		if d := a.Update(6, map[string]float64{"other": 1}); d != nil {
			t.Errorf("%d: Update without its signal = %+v, want nil", i, d)
		}
	}
}

// adaptiveSpecs contains one spec of each adaptive multiplier. Each reads
// one of the signals sparsity, loss, norm or val_acc.
var adaptiveSpecs = []string{
	"track(poly(0, 1, 0, 50), signal=sparsity, target=linear(0, 0.8, 0, 40), kp=0.5, " +
		"ki=0.1, min=0.01, max=100)",
	"plateau(constant(0.1), signal=loss, mode=min, patience=3, cooldown=2, factor=2, " +
		"threshold=0.001, max=64)",
	"dual(cosine(1, 0.5, 0, 30), signal=norm, bound=1.5, rate=0.3, init=0.5, max=5)",
	"guard(linear(0, 1, 0, 50), signal=val_acc, tolerance=0.02, factor=0.5, hold=3, " +
		"recover=1.25, min=0.001)",
	"milestones(constant(1), 10: track(constant(1), target=0.5, ki=1), " +
		"20: guard(constant(2), signal=val_acc, tolerance=0.1, factor=0.9, hold=0))",
}

// signalAt is a deterministic, wiggling signal for state tests.
func signalAt(step int) map[string]float64 {
	v := 0.5 + 0.4*math.Sin(float64(step)*0.7) + 0.1*math.Cos(float64(step)*2.3)
	return map[string]float64{"sparsity": v, "loss": 2 - v, "norm": 3 * v, "val_acc": v}
}

// TestStateRoundTrip checks that a policy restored from MarshalState into
// a freshly parsed copy continues bit for bit like the original.
func TestStateRoundTrip(t *testing.T) {
	for i, spec := range adaptiveSpecs {
		s, _ := Parse(spec)
		a := s.(Adaptive)
		for step := 0; step < 25; step++ {
			a.Update(step, signalAt(step))
		}
		data, err := a.MarshalState()
		if err != nil {
			t.Fatalf("%d: MarshalState: %v", i, err)
		}
		fresh, _ := Parse(spec)
		b := fresh.(Adaptive)
		if err := b.UnmarshalState(data); err != nil {
			t.Fatalf("%d: UnmarshalState: %v", i, err)
		}
		for step := 25; step < 60; step++ {
			da := a.Update(step, signalAt(step))
			db := b.Update(step, signalAt(step))
			if !reflect.DeepEqual(da, db) {
				t.Errorf("%d step %d: decisions differ: %+v and %+v", i, step, da, db)
			}
			if va, vb := a.At(step+1), b.At(step+1); math.Float64bits(va) !=
				math.Float64bits(vb) {
				t.Errorf("%d step %d: At = %v after restore, want %v", i, step, vb, va)
			}
		}
	}
}

func TestUnmarshalStateErrors(t *testing.T) {
	tr := MustParse("track(constant(1), target=0.5, ki=1, max=2)").(*Track)
	cases := []struct {
		data, want string
	}{
		{`{`, "decoding state"},
		{`{"version":2,"policy":"track"}`, "state version (2) is not 1"},
		{`{"version":1,"policy":"dual"}`, `state is of policy "dual"`},
		{`{"version":1,"policy":"track","started":true,"m":3}`,
			"state multiplier (3) is outside [0, 2]"},
	}
	for i, c := range cases {
		err := tr.UnmarshalState([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d: UnmarshalState(%s) = %v, want %q", i, c.data, err, c.want)
		}
		if tr.state != (trackState{}) {
			t.Errorf("%d: state changed on error: %+v", i, tr.state)
		}
	}
}

// readBreastCancer reads the Wisconsin diagnostic breast cancer data (UCI,
// as shipped by scikit-learn): a header line, then 30 features and a
// label (0 malignant, 1 benign) per row. Features are standardized.
func readBreastCancer(t *testing.T) (x [][]float64, label []int) {
	sc := scanGzip(t, "../testdata/breast_cancer.csv.gz")
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ",")
		row := make([]float64, len(fields)-1)
		for j := range row {
			var err error
			if row[j], err = strconv.ParseFloat(fields[j], 64); err != nil {
				t.Fatal(err)
			}
		}
		c, err := strconv.Atoi(fields[len(fields)-1])
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, row)
		label = append(label, c)
	}
	if len(x) != 569 || len(x[0]) != 30 {
		t.Fatalf("breast cancer: got %d×%d, want 569×30", len(x), len(x[0]))
	}
	standardize(x)
	return x, label
}

// trainLogistic fits L1-penalized logistic regression for the benign
// class by proximal gradient descent (intercept not penalized) with
// strength s.At(step), and every 10 steps feeds the recall of the
// minority class (malignant) on the odd rows, held out, as "recall/0".
// It returns the recall after each evaluation.
func trainLogistic(x [][]float64, label []int, s Schedule, steps int) []float64 {
	w := make([]float64, len(x[0]))
	var bias float64
	const rate = 0.5
	predict := func(row []float64) float64 {
		z := bias
		for j, v := range row {
			z += w[j] * v
		}
		return 1 / (1 + math.Exp(-z))
	}
	var recalls []float64
	for step := 0; step < steps; step++ {
		grad := make([]float64, len(w))
		var gradBias float64
		n := 0
		for i := 0; i < len(x); i += 2 {
			r := predict(x[i]) - float64(label[i])
			for j, v := range x[i] {
				grad[j] += r * v
			}
			gradBias += r
			n++
		}
		bias -= rate * gradBias / float64(n)
		threshold := rate * s.At(step)
		for j := range w {
			v := w[j] - rate*grad[j]/float64(n)
			w[j] = math.Copysign(math.Max(math.Abs(v)-threshold, 0), v)
		}
		if step%10 != 9 {
			continue
		}
		found, total := 0, 0
		for i := 1; i < len(x); i += 2 {
			if label[i] == 0 {
				total++
				if predict(x[i]) < 0.5 {
					found++
				}
			}
		}
		recall := float64(found) / float64(total)
		recalls = append(recalls, recall)
		if a, ok := s.(Adaptive); ok {
			a.Update(step, map[string]float64{"recall/0": recall})
		}
	}
	return recalls
}

// TestGuardMinorityRecall trains a sparse logistic regression on real,
// imbalanced data (212 malignant, 357 benign) under an L1 strength that
// grows until the model would call everything benign. The guard watches
// the held-out recall of the malignant class and backs off when it drops,
// so the final recall stays near its best while the unguarded run loses
// the class.
func TestGuardMinorityRecall(t *testing.T) {
	x, label := readBreastCancer(t)
	base := Linear{From: 0, To: 1, Start: 0, End: 1000}
	const steps = 1000

	plain := trainLogistic(x, label, base, steps)
	guard := MustParse("guard(linear(0, 1, 0, 1000), signal=recall/0, tolerance=0.03, " +
		"factor=0.5, hold=5)").(*Guard)
	var decisions []Decision
	recorder := recordingAdaptive{Guard: guard, decisions: &decisions}
	guarded := trainLogistic(x, label, recorder, steps)

	best := 0.0
	for _, r := range guarded {
		best = math.Max(best, r)
	}
	finalPlain, finalGuarded := plain[len(plain)-1], guarded[len(guarded)-1]
	t.Logf("best recall %.3f, final without guard %.3f, with guard %.3f, m %.4g",
		best, finalPlain, finalGuarded, guard.M())
	if len(decisions) == 0 {
		t.Fatal("guard made no decision")
	}
	for i, d := range decisions {
		if d.New >= d.Old || best-d.Value <= 0.03 {
			t.Errorf("decision %d: %+v is not a back-off on a drop below %v - 0.03", i, d, best)
		}
	}
	if finalPlain > 0.5 {
		t.Errorf("final recall without guard = %v, want the class lost (≤ 0.5)", finalPlain)
	}
	if best-finalGuarded > 0.1 {
		t.Errorf("final recall with guard = %v, want within 0.1 of its best %v",
			finalGuarded, best)
	}
}

// recordingAdaptive keeps the decisions of a Guard.
type recordingAdaptive struct {
	*Guard
	decisions *[]Decision
}

func (r recordingAdaptive) Update(step int, signals map[string]float64) []Decision {
	d := r.Guard.Update(step, signals)
	*r.decisions = append(*r.decisions, d...)
	return d
}

// TestMilestonesUnmarshalAtomic checks that a state whose second policy
// is invalid leaves the first policy as it was.
func TestMilestonesUnmarshalAtomic(t *testing.T) {
	spec := "milestones(dual(1, norm, 0, 1, max=10), 5: dual(1, norm, 0, 1, max=10))"
	ms := MustParse(spec).(*Milestones)
	ms.Update(0, map[string]float64{"norm": 2})
	before := ms.At(0)
	bad := `{"version":1,"policy":"milestones","children":[` +
		`{"version":1,"policy":"dual","started":true,"m":4},` +
		`{"version":1,"policy":"dual","started":true,"m":40}]}`
	err := ms.UnmarshalState([]byte(bad))
	if err == nil || !strings.Contains(err.Error(), "schedule 1") {
		t.Fatalf("UnmarshalState = %v, want an error naming schedule 1", err)
	}
	if got := ms.At(0); got != before {
		t.Errorf("At(0) = %v after a failed restore, want %v", got, before)
	}
}

// extremeSignals are the signal values TestPoliciesBoundedOnExtremes
// feeds: non-finite ones, ones whose differences overflow, and ordinary
// ones.
var extremeSignals = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64,
	-math.MaxFloat64, 1e308, -1e308, 5e-324, 0, 0.5, 1, 3}

// TestPoliciesBoundedOnExtremes feeds every policy a long pseudo-random
// sequence of extreme signals and checks after each update that λ is
// finite, m lies in [Min, Max], every decision encodes as JSON and the
// state saves and restores.
func TestPoliciesBoundedOnExtremes(t *testing.T) {
	specs := append(append([]string{}, adaptiveSpecs...),
		"track(constant(1), target=0.5, kp=2, min=0.5, max=4)", // ki = 0
		"track(constant(1), target=0.5, kp=1e-310, max=4)",     // m never saturates
		"track(constant(1), target=1e308, kp=1e300, ki=1e300, min=0.1, max=10)",
		"dual(constant(1), signal=norm, bound=-1e308, rate=1e308, max=1e300)")
	for i, spec := range specs {
		s := MustParse(spec)
		a := s.(Adaptive)
		seed := uint32(i + 1)
		for step := 0; step < 300; step++ {
			seed = seed*1664525 + 1013904223
			v := extremeSignals[int(seed>>16)%len(extremeSignals)]
			signals := map[string]float64{"sparsity": v, "loss": v, "norm": v, "val_acc": v}
			decisions := a.Update(step, signals)
			if got := a.At(step + 1); math.IsNaN(got) || math.IsInf(got, 0) {
				t.Fatalf("%d step %d: At = %v after signal %v", i, step, got, v)
			}
			if p, ok := a.(interface {
				M() float64
			}); ok {
				b := reflect.ValueOf(a).Elem().FieldByName("Bounds").Interface().(Bounds)
				if m := p.M(); !(m >= b.Min && m <= b.Max) {
					t.Fatalf("%d step %d: m = %v outside [%v, %v] after signal %v", i, step,
						m, b.Min, b.Max, v)
				}
			}
			if _, err := json.Marshal(decisions); err != nil {
				t.Fatalf("%d step %d: decisions %+v do not encode: %v", i, step, decisions, err)
			}
			data, err := a.MarshalState()
			if err != nil {
				t.Fatalf("%d step %d: MarshalState: %v", i, step, err)
			}
			if err := MustParse(spec).(Adaptive).UnmarshalState(data); err != nil {
				t.Fatalf("%d step %d: UnmarshalState(%s): %v", i, step, data, err)
			}
		}
	}
}

// TestPoliciesDeterministic checks that two copies of a policy fed the
// same signals make the same decisions and give bit-identical values.
func TestPoliciesDeterministic(t *testing.T) {
	for i, spec := range adaptiveSpecs {
		a, b := MustParse(spec).(Adaptive), MustParse(spec).(Adaptive)
		for step := 0; step < 100; step++ {
			da, db := a.Update(step, signalAt(step)), b.Update(step, signalAt(step))
			if !reflect.DeepEqual(da, db) {
				t.Fatalf("%d step %d: decisions %+v and %+v differ", i, step, da, db)
			}
			if va, vb := a.At(step), b.At(step); math.Float64bits(va) != math.Float64bits(vb) {
				t.Fatalf("%d step %d: At = %v and %v", i, step, va, vb)
			}
		}
	}
}

// TestTrackOverflowIgnored checks that an error target − signal that
// overflows leaves m and the integral as they were, and that with Ki = 0
// the integral stays 0.
func TestTrackOverflowIgnored(t *testing.T) {
	tr := MustParse("track(constant(1), target=1e308, kp=1e-308, max=10)").(*Track)
	for step, v := range []float64{-1e308, -1e308, 0} {
		d := tr.Update(step, map[string]float64{"sparsity": v})
		if len(d) != 1 {
			t.Fatalf("step %d: decisions %+v, want one", step, d)
		}
		if tr.state.Integral != 0 {
			t.Errorf("step %d: integral = %v with ki = 0, want 0", step, tr.state.Integral)
		}
		if step < 2 && (d[0].New != d[0].Old || !strings.Contains(d[0].Reason, "overflows")) {
			t.Errorf("step %d: decision %+v, want m kept because of an overflow", step, d[0])
		}
	}
	if got, want := tr.M(), math.Exp(1e-308*1e308); got != want {
		t.Errorf("m = %v after a finite error, want %v", got, want)
	}
}
