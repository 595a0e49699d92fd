package solvers

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
)

// fakeParam is a ValueGrad whose value and gradient the test sets.
type fakeParam struct {
	name string
	w, g gorgonia.Value
}

func (f *fakeParam) Value() gorgonia.Value         { return f.w }
func (f *fakeParam) Grad() (gorgonia.Value, error) { return f.g, nil }
func (f *fakeParam) Name() string                  { return f.name }

func dense(dt tensor.Dtype, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.Of(dt))
}

func TestStepRejectsBadGradients(t *testing.T) {
	cases := []struct {
		name   string
		params []*fakeParam
		want   string
	}{
		{"shape", []*fakeParam{{"a", dense(tensor.Float64, 2, 3), dense(tensor.Float64, 3, 2)}}, "shape"},
		{"dtype", []*fakeParam{{"a", dense(tensor.Float64, 2), dense(tensor.Float32, 2)}}, "mixed float types"},
		{"mixed parameters", []*fakeParam{
			{"a", dense(tensor.Float64, 2), dense(tensor.Float64, 2)},
			{"b", dense(tensor.Float32, 2), dense(tensor.Float32, 2)},
		}, "mixed float types"},
		{"int", []*fakeParam{{"a", dense(tensor.Int, 2), dense(tensor.Int, 2)}}, "float32 and float64"},
		{"scalar grad", []*fakeParam{{"a", dense(tensor.Float64, 2), gorgonia.NewF64(1)}}, "gradient"},
	}
	for i, c := range cases {
		s, err := Wrap(NewSGD())
		if err != nil {
			t.Fatal(err)
		}
		model := make([]gorgonia.ValueGrad, len(c.params))
		for j, p := range c.params {
			model[j] = p
		}
		err = s.Step(model)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d (%s): error %v, want one mentioning %q", i, c.name, err, c.want)
		}
		if s.Steps() != 0 {
			t.Errorf("case %d (%s): Steps() = %d after a rejected step", i, c.name, s.Steps())
		}
	}
}

func TestInfGradientInScalarParameter(t *testing.T) {
	w := gorgonia.NewF64(2)
	p := &fakeParam{"bias", w, gorgonia.NewF64(math.Inf(1))}
	s, _ := Wrap(gorgonia.NewVanillaSolver())
	err := s.Step([]gorgonia.ValueGrad{p})
	if err == nil || !strings.Contains(err.Error(), `"bias"`) {
		t.Fatalf("error %v, want one naming bias", err)
	}
	if float64(*w) != 2 {
		t.Errorf("weight changed to %v", float64(*w))
	}
}

func TestWrapNeedsLearnRateForProx(t *testing.T) {
	m := newModel(t, tensor.Float64, 61)
	reg := graphs.NewRegularizer(m.g)
	if err := reg.Add(m.w1, ops.L1{}, constant(0.1)); err != nil {
		t.Fatal(err)
	}
	_, err := Wrap(gorgonia.NewAdamSolver(), WithRegularizer(reg))
	if err == nil || !strings.Contains(err.Error(), "WithLearnRate") {
		t.Errorf("Wrap error %v, want one asking for WithLearnRate", err)
	}
	_, err = Wrap(gorgonia.NewAdaGradSolver(), WithRegularizer(reg), WithLearnRate(0.1))
	if err == nil {
		t.Error("Wrap accepted a learning rate it cannot apply to AdaGrad")
	}
	for i, eta := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := Wrap(NewSGD(), WithLearnRate(eta)); err == nil {
			t.Errorf("case %d: WithLearnRate(%v) accepted", i, eta)
		}
	}
}

// stepSchedule is λ(t) = t+1, so each step's value is recognisable.
type stepSchedule struct{}

func (stepSchedule) At(t int) float64 { return float64(t + 1) }

func TestCoefficientFollowsSchedule(t *testing.T) {
	m := newModel(t, tensor.Float64, 62)
	reg := graphs.NewRegularizer(m.g)
	if err := reg.Add(m.w2, ops.L2{}, stepSchedule{}); err != nil {
		t.Fatal(err)
	}
	coef := reg.Entries()[0].Coef
	if coef == nil {
		t.Fatal("gradient-mode entry has no coefficient node")
	}
	s, err := Wrap(NewSGD(), WithRegularizer(reg))
	if err != nil {
		t.Fatal(err)
	}
	read := func() float64 {
		switch v := coef.Value().(type) {
		case *gorgonia.F64:
			return float64(*v)
		case *gorgonia.F32:
			return float64(*v)
		}
		return math.NaN()
	}
	if got := read(); got != 1 {
		t.Fatalf("coefficient after Wrap = %v, want λ(0) = 1", got)
	}
	vgs := gorgonia.NodesToValueGrads(m.params)
	for step := 0; step < 3; step++ {
		m.forward(t)
		if err := s.Step(vgs); err != nil {
			t.Fatal(err)
		}
		if got, want := read(), float64(step+2); got != want {
			t.Errorf("coefficient after step %d = %v, want λ(%d) = %v", step, got, step+1, want)
		}
		if got := s.Metrics().Terms[0].Lambda; got != float64(step+1) {
			t.Errorf("metrics λ at step %d = %v, want %v", step, got, step+1)
		}
	}
}

// TestProxThresholdUsesLearnRateSchedule runs SGD on Σw (gradient 1)
// with proximal L1 at λ = 1 and η(t) = 0.1·(t+1): each step is
// w ← soft(w − η(t), η(t)·λ), computed by hand below.
func TestProxThresholdUsesLearnRateSchedule(t *testing.T) {
	g := gorgonia.NewGraph()
	w := dense(tensor.Float64, 4)
	copy(w.Float64s(), []float64{1, -1, 0.05, 2})
	node := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(4), gorgonia.WithName("w"),
		gorgonia.WithValue(w))
	reg := graphs.NewRegularizer(g)
	if err := reg.Add(node, ops.L1{}, constant(1)); err != nil {
		t.Fatal(err)
	}
	cost, err := reg.Augment(gorgonia.Must(gorgonia.Sum(node)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, node); err != nil {
		t.Fatal(err)
	}

	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(node))
	defer vm.Close()
	s, err := Wrap(NewSGD(), WithRegularizer(reg), WithLearnRateSchedule(etaSchedule{}))
	if err != nil {
		t.Fatal(err)
	}

	wants := [][]float64{{0.8, -1.0, 0, 1.8}, {0.4, -1.0, 0, 1.4}}
	for step, want := range wants {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		if err := s.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{node})); err != nil {
			t.Fatal(err)
		}
		got := node.Value().(*tensor.Dense).Float64s()
		for j, v := range got {
			if math.Abs(v-want[j]) > 1e-15 {
				t.Errorf("step %d: w[%d] = %v, want %v", step, j, v, want[j])
			}
		}
		if eta := s.Metrics().LearnRate; eta != 0.1*float64(step+1) {
			t.Errorf("step %d: metrics learning rate %v, want %v", step, eta, 0.1*float64(step+1))
		}
	}
}

type etaSchedule struct{}

func (etaSchedule) At(t int) float64 { return 0.1 * float64(t+1) }

func TestOneShotAndEveryUpdates(t *testing.T) {
	// steps(0, 5:0.5) prunes once, at step 5. UpdateEvery(4) on a ramp
	// updates at steps 0, 4 and 8 only.
	w, _, step := matrixModel(t, 4, 5)
	s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
		WithPruning(w, Magnitude{}, oneShot{at: 5, to: 0.5}))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		step(s)
		want := 0
		if i >= 5 {
			want = 10
		}
		if z := s.Metrics().Params[0].Zeros; z != want {
			t.Errorf("one-shot step %d: %d zeros, want %d", i, z, want)
		}
		if updated := s.Metrics().MaskUpdated; updated != (i == 5) {
			t.Errorf("one-shot step %d: MaskUpdated = %v", i, updated)
		}
	}

	w2, _, step2 := matrixModel(t, 4, 5)
	s2, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
		WithPruning(w2, Magnitude{}, ramp{to: 0.5, end: 10}, UpdateEvery(4)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		step2(s2)
		if updated := s2.Metrics().MaskUpdated; updated != (i == 4 || i == 8) {
			t.Errorf("every step %d: MaskUpdated = %v", i, updated)
		}
		last := i - i%4
		if want := roundCount(ramp{to: 0.5, end: 10}.At(last), 20); s2.Metrics().Params[0].Zeros != want {
			t.Errorf("every step %d: %d zeros, want %d", i, s2.Metrics().Params[0].Zeros, want)
		}
	}
}

type oneShot struct {
	at int
	to float64
}

func (o oneShot) At(t int) float64 {
	if t >= o.at {
		return o.to
	}
	return 0
}

func TestExcludeAndRandomSeed(t *testing.T) {
	masks := make([][]bool, 2)
	for run := range masks {
		m := newModel(t, tensor.Float64, 63)
		s, err := Wrap(NewSGD(), WithSeed(5),
			WithPruningGroup(m.params, Random{}, constant(0.5), Exclude("b")))
		if err != nil {
			t.Fatal(err)
		}
		m.train(t, s, 1)
		if s.Metrics().Params[1].Pruned {
			t.Error("excluded parameter b is pruned")
		}
		masks[run] = append([]bool(nil), s.params[0].keep...)
	}
	for i := range masks[0] {
		if masks[0][i] != masks[1][i] {
			t.Fatalf("random masks with one seed differ at %d", i)
		}
	}
}

func TestMovementPrunesWeightsMovingToZero(t *testing.T) {
	// Gradient descent on Σw with η = 0.1 moves every weight down by 0.1
	// per step: positive weights move towards zero (score −0.1·w < 0),
	// negative ones away from it (score > 0), so the positive half goes.
	w, data, step := matrixModel(t, 2, 4)
	for i := range data {
		data[i] = float64(i + 1)
		if i%2 == 1 {
			data[i] = -data[i]
		}
	}
	s, err := Wrap(NewSGD(), WithLearnRate(0.1),
		WithPruning(w, Movement{}, oneShot{at: 3, to: 0.5}))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		step(s)
	}
	for i, v := range data {
		if pruned := i%2 == 0; pruned != (v == 0) {
			t.Errorf("w[%d] = %v: want the weights moving to zero (even indices) pruned", i, v)
		}
	}
}

func TestMetricsMatchDefinitions(t *testing.T) {
	m := newModel(t, tensor.Float64, 64)
	s, err := Wrap(NewSGD(), WithPruning(m.w1, Magnitude{}, constant(0.25)))
	if err != nil {
		t.Fatal(err)
	}

	m.forward(t)
	var gradSq float64
	for _, p := range m.params[1:] {
		g, _ := p.Grad()
		for _, v := range g.(*tensor.Dense).Float64s() {
			gradSq += v * v
		}
	}
	if err := s.Step(gorgonia.NodesToValueGrads(m.params)); err != nil {
		t.Fatal(err)
	}

	got := s.Metrics()
	var zeros, size int
	var wsq float64
	for i, p := range m.params {
		w := float64s(p)
		var z int
		var sq float64
		for _, v := range w {
			if v == 0 {
				z++
			}
			sq += v * v
		}
		zeros += z
		size += len(w)
		wsq += sq
		pm := got.Params[i]
		if pm.Zeros != z || pm.Size != len(w) || math.Abs(pm.WeightNorm-math.Sqrt(sq)) > 1e-12 {
			t.Errorf("parameter %d: metrics %+v, want %d zeros of %d, norm %v", i, pm, z, len(w), math.Sqrt(sq))
		}
	}
	if want := float64(zeros) / float64(size); got.Sparsity != want {
		t.Errorf("Sparsity = %v, want %v", got.Sparsity, want)
	}

	// The first step prunes after the inner step, so w1's gradient counts
	// in full. Only the other parameters are summed above.
	m1 := got.Params[0].GradNorm
	if want := math.Sqrt(gradSq + m1*m1); math.Abs(got.GradNorm-want) > 1e-9*want {
		t.Errorf("GradNorm = %v, want %v", got.GradNorm, want)
	}
	if !got.MaskUpdated {
		t.Error("MaskUpdated = false, want true")
	}
	if got.Flips != 24 {
		t.Errorf("Flips = %d, want 24", got.Flips)
	}
}

// keepLast is a Recorder that copies the metrics into reused slices.
type keepLast struct{ m Metrics }

func (k *keepLast) Record(m *Metrics) {
	params, terms := k.m.Params[:0], k.m.Terms[:0]
	k.m = *m
	k.m.Params = append(params, m.Params...)
	k.m.Terms = append(terms, m.Terms...)
	k.m.Decisions = nil
}

// TestRecordedMetricsMatchMetrics compares the metrics a Recorder receives
// at every step, measured in the fused prox and mask passes, with those
// Metrics measures on demand in a second, identical run.
func TestRecordedMetricsMatchMetrics(t *testing.T) {
	build := func(rec Recorder) (*model, *Solver) {
		m := newModel(t, tensor.Float32, 65)
		reg := graphs.NewRegularizer(m.g)
		if err := reg.Add(m.w1, ops.L1{}, constant(0.05)); err != nil {
			t.Fatal(err)
		}
		opts := []Option{WithLearnRate(0.05), WithRegularizer(reg),
			WithPruning(m.w1, Magnitude{}, ramp{to: 0.5, end: 10}, UpdateEvery(4)),
			WithPruning(m.w2, Magnitude{}, constant(0.3))}
		if rec != nil {
			opts = append(opts, WithRecorder(rec))
		}
		s, err := Wrap(NewAdam(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return m, s
	}
	rec := &keepLast{}
	ma, sa := build(rec)
	mb, sb := build(nil)
	for step := 0; step < 12; step++ {
		ma.train(t, sa, 1)
		mb.train(t, sb, 1)
		got, want := &rec.m, sb.Metrics()
		if got.Sparsity != want.Sparsity || !near(got.WeightNorm, want.WeightNorm) {
			t.Fatalf("step %d: recorded sparsity %v, norm %v; Metrics gives %v, %v",
				step, got.Sparsity, got.WeightNorm, want.Sparsity, want.WeightNorm)
		}
		for i := range want.Params {
			g, w := got.Params[i], want.Params[i]
			if g.Zeros != w.Zeros || !near(g.WeightNorm, w.WeightNorm) {
				t.Fatalf("step %d: %s: recorded %d zeros, norm %v; Metrics gives %d, %v",
					step, w.Name, g.Zeros, g.WeightNorm, w.Zeros, w.WeightNorm)
			}
		}
		if g, w := got.Terms[0].Value, want.Terms[0].Value; !near(g, w) {
			t.Fatalf("step %d: recorded L1 value %v, Metrics gives %v", step, g, w)
		}
	}
}

// snapshot returns the bytes of every weight and of the solver's Save
// output.
func snapshot(t *testing.T, s *Solver, params []*fakeParam) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range params {
		switch d := p.w.(*tensor.Dense); d.Dtype() {
		case tensor.Float32:
			for _, v := range d.Float32s() {
				buf.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
			}
		default:
			for _, v := range d.Float64s() {
				buf.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
			}
		}
	}
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRejectedStepChangesNothing makes Step fail in every way the
// parameter list and gradients can be wrong. The solver first takes three
// good steps with an Adam whose moments Save includes. The test compares
// the bytes of the weights and of Save before and after each failure.
func TestRejectedStepChangesNothing(t *testing.T) {
	filled := func(dt tensor.Dtype, v float64, shape ...int) *tensor.Dense {
		d := dense(dt, shape...)
		if dt == tensor.Float32 {
			for i := range d.Float32s() {
				d.Float32s()[i] = float32(v) * float32(i+1)
			}
		} else {
			for i := range d.Float64s() {
				d.Float64s()[i] = v * float64(i+1)
			}
		}
		return d
	}
	a := &fakeParam{"a", filled(tensor.Float32, 0.5, 2, 3), nil}
	b := &fakeParam{"b", filled(tensor.Float32, -0.25, 4), nil}
	other := &fakeParam{"c", filled(tensor.Float32, 1, 4), filled(tensor.Float32, 1, 4)}
	setGrads := func() {
		a.g, b.g = filled(tensor.Float32, 0.1, 2, 3), filled(tensor.Float32, -0.2, 4)
	}
	s, err := Wrap(NewAdam(), WithLearnRate(0.01))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		setGrads()
		if err := s.Step([]gorgonia.ValueGrad{a, b}); err != nil {
			t.Fatal(err)
		}
	}

	weightB := b.w
	cases := []struct {
		name  string
		model func() []gorgonia.ValueGrad // breaks the list or a gradient
		want  string
	}{
		{"NaN gradient", func() []gorgonia.ValueGrad {
			b.g.(*tensor.Dense).Float32s()[3] = float32(math.NaN())
			return []gorgonia.ValueGrad{a, b}
		}, `"b"`},
		{"+Inf gradient", func() []gorgonia.ValueGrad {
			a.g.(*tensor.Dense).Float32s()[5] = float32(math.Inf(1))
			return []gorgonia.ValueGrad{a, b}
		}, `"a"`},
		{"-Inf gradient", func() []gorgonia.ValueGrad {
			b.g.(*tensor.Dense).Float32s()[0] = float32(math.Inf(-1))
			return []gorgonia.ValueGrad{a, b}
		}, `"b"`},
		{"gradient shape", func() []gorgonia.ValueGrad {
			a.g = filled(tensor.Float32, 0.1, 3, 2)
			return []gorgonia.ValueGrad{a, b}
		}, "shape"},
		{"gradient type", func() []gorgonia.ValueGrad {
			b.g = filled(tensor.Float64, 0.1, 4)
			return []gorgonia.ValueGrad{a, b}
		}, "mixed float types"},
		{"mixed parameter types", func() []gorgonia.ValueGrad {
			b.w, b.g = filled(tensor.Float64, 1, 4), filled(tensor.Float64, 0.1, 4)
			return []gorgonia.ValueGrad{a, b}
		}, "mixed float types"},
		{"shorter list", func() []gorgonia.ValueGrad { return []gorgonia.ValueGrad{a} }, "2"},
		{"longer list", func() []gorgonia.ValueGrad {
			return []gorgonia.ValueGrad{a, b, other}
		}, "2"},
		{"other order", func() []gorgonia.ValueGrad { return []gorgonia.ValueGrad{b, a} }, `"a"`},
		{"other parameter", func() []gorgonia.ValueGrad {
			return []gorgonia.ValueGrad{a, other}
		}, `"b"`},
	}
	for i, c := range cases {
		setGrads()
		before := snapshot(t, s, []*fakeParam{a, b})
		err := s.Step(c.model())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d (%s): error %v, want one mentioning %s", i, c.name, err, c.want)
		}
		b.w = weightB // the mixed types case swaps it

		if after := snapshot(t, s, []*fakeParam{a, b}); !bytes.Equal(before, after) {
			t.Errorf("case %d (%s): a rejected Step changed the weights or the saved state",
				i, c.name)
		}
		if s.Steps() != 3 {
			t.Errorf("case %d (%s): Steps() = %d, want 3", i, c.name, s.Steps())
		}
	}
}

// TestRejectedStepPrunedNonFinite puts a NaN or ±Inf into the gradient
// of a pruned or a kept weight, both in the part that the vector check
// sums and in its scalar tail. The inner solver is this package's Adam,
// which does not mask the gradients of pruned weights. Step must reject
// each and leave the weights and the saved state as they were.
func TestRejectedStepPrunedNonFinite(t *testing.T) {
	m := newModel(t, tensor.Float32, 17)
	s, err := Wrap(NewAdam(), WithLearnRate(0.01),
		WithPruning(m.w1, Magnitude{}, constant(0.5)),
		WithPruning(m.w2, Magnitude{}, constant(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	m.train(t, s, 3)

	// w1 has 96 weights, all summed by the vector check, and w2 has 36,
	// of which the last 4 form the scalar tail.
	find := func(keep []bool, wantKept bool, from int) int {
		for j := from; j < len(keep); j++ {
			if keep[j] == wantKept {
				return j
			}
		}
		t.Fatalf("no weight with keep = %v from index %d", wantKept, from)
		return -1
	}
	cases := []struct {
		name     string
		node     *gorgonia.Node
		param    int
		wantKept bool
		from     int
		value    float32
	}{
		{"pruned w1, NaN", m.w1, 0, false, 0, float32(math.NaN())},
		{"pruned w1, +Inf", m.w1, 0, false, 40, float32(math.Inf(1))},
		{"kept w1, -Inf", m.w1, 0, true, 0, float32(math.Inf(-1))},
		{"pruned w2, NaN", m.w2, 2, false, 0, float32(math.NaN())},
		{"pruned w2 tail, NaN", m.w2, 2, false, 32, float32(math.NaN())},
		{"kept w2 tail, +Inf", m.w2, 2, true, 32, float32(math.Inf(1))},
	}
	for _, c := range cases {
		// Gorgonia adds gradients into the dual values, and a rejected
		// Step leaves them, so they are cleared before the graph runs.
		for _, p := range m.params {
			g, _ := p.Grad()
			g.(*tensor.Dense).Zero()
		}
		m.forward(t)
		var before bytes.Buffer
		if err := s.Save(&before); err != nil {
			t.Fatal(err)
		}
		weights := weightsOf(m)

		j := find(s.params[c.param].keep, c.wantKept, c.from)
		g, _ := c.node.Grad()
		g.(*tensor.Dense).Float32s()[j] = c.value
		err := s.Step(gorgonia.NodesToValueGrads(m.params))
		if err == nil || !strings.Contains(err.Error(), c.node.Name()) {
			t.Errorf("%s at index %d: error %v, want one naming %s", c.name, j, err, c.node.Name())
		}

		for p, w := range weights {
			if k := bitsEqual(w, float64s(m.params[p])); k >= 0 {
				t.Errorf("%s: %s[%d] changed", c.name, m.params[p].Name(), k)
			}
		}
		var after bytes.Buffer
		if err := s.Save(&after); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before.Bytes(), after.Bytes()) {
			t.Errorf("%s: a rejected Step changed the saved state", c.name)
		}
	}
	if s.Steps() != 3 {
		t.Errorf("Steps() = %d after rejected steps, want 3", s.Steps())
	}
}
