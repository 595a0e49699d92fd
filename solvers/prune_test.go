package solvers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
	"github.com/regsched/regsched/ops"
	"github.com/regsched/regsched/schedules"
)

func TestSoftThresholdDefinition(t *testing.T) {
	// Expected values from the definition sign(w)·max(|w|−t, 0), with
	// rejected entries 0.
	w := []float64{3, -3, 0.5, -0.5, 1, -1, 0, 2}
	keep := []bool{true, true, true, true, true, true, true, false}
	want := []float64{2, -2, 0, 0, 0, 0, 0, 0}
	w64 := append([]float64(nil), w...)
	softThreshold(w64, 1, keep)
	w32 := make([]float32, len(w))
	for i, v := range w {
		w32[i] = float32(v)
	}
	softThreshold32(w32, 1, keep)
	for i := range want {
		if w64[i] != want[i] || math.Signbit(w64[i]) && want[i] == 0 {
			t.Errorf("float64 index %d: got %v, want %v", i, w64[i], want[i])
		}
		if float64(w32[i]) != want[i] || math.Signbit(float64(w32[i])) && want[i] == 0 {
			t.Errorf("float32 index %d: got %v, want %v", i, w32[i], want[i])
		}
	}
}

// matrixModel returns a graph with one weight of the given shape whose
// values are a permutation of 1…n, so that magnitudes are distinct, and
// the Step inputs for it.
func matrixModel(t *testing.T, shape ...int) (*gorgonia.Node, []float64, func(*Solver, ...func())) {
	t.Helper()
	g := gorgonia.NewGraph()
	n := tensor.Shape(shape).TotalSize()
	data := make([]float64, n)
	for i := range data {
		data[i] = float64((i*7919)%n + 1)
	}
	w := gorgonia.NewTensor(g, tensor.Float64, len(shape), gorgonia.WithShape(shape...),
		gorgonia.WithName("w"), gorgonia.WithValue(tensor.New(tensor.WithShape(shape...),
			tensor.WithBacking(data))))
	cost := gorgonia.Must(gorgonia.Sum(w))
	if _, err := gorgonia.Grad(cost, w); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
	t.Cleanup(func() { vm.Close() })
	step := func(s *Solver, before ...func()) {
		t.Helper()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		for _, f := range before {
			f()
		}
		if err := s.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{w})); err != nil {
			t.Fatal(err)
		}
	}
	return w, w.Value().(*tensor.Dense).Float64s(), step
}

func TestStructuredPruningZeroesWholeUnits(t *testing.T) {
	cases := []struct {
		shape     []int
		structure Structure
		target    float64
		units     int // number of units
		unitSize  int // weights per unit
		unitOf    func(i int) int
	}{
		{[]int{6, 4}, Rows{}, 0.5, 6, 4, func(i int) int { return i / 4 }},
		{[]int{6, 4}, Columns{}, 0.5, 4, 6, func(i int) int { return i % 4 }},
		{[]int{4, 8}, Blocks{Rows: 1, Cols: 4}, 0.25, 8, 4, func(i int) int { return (i/8)*2 + (i%8)/4 }},
		{[]int{8, 8}, Blocks{Rows: 4, Cols: 4}, 0.5, 4, 16, func(i int) int { return (i/8/4)*2 + (i%8)/4 }},
		{[]int{3, 2, 2, 2}, Filters{}, 1.0 / 3, 3, 8, func(i int) int { return i / 8 }},
		{[]int{3, 2, 2, 2}, Channels{}, 0.5, 2, 12, func(i int) int { return (i / 4) % 2 }},
	}
	for ci, c := range cases {
		w, data, step := matrixModel(t, c.shape...)
		s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
			WithPruning(w, Magnitude{}, constant(c.target), WithStructure(c.structure)))
		if err != nil {
			t.Fatalf("case %d: %v", ci, err)
		}
		step(s)
		zeros := make([]int, c.units)
		for i, v := range data {
			if v == 0 {
				zeros[c.unitOf(i)]++
			}
		}
		pruned := 0
		for u, z := range zeros {
			if z != 0 && z != c.unitSize {
				t.Errorf("case %d (%s): unit %d has %d of %d weights zero", ci, c.structure, u, z, c.unitSize)
			}
			if z == c.unitSize {
				pruned++
			}
		}
		if want := roundCount(c.target, c.units); pruned != want {
			t.Errorf("case %d (%s): %d units pruned, want %d", ci, c.structure, pruned, want)
		}
	}
}

func TestNMPruningPattern(t *testing.T) {
	// Every run of M weights along the axis keeps exactly N once the
	// target reaches (M−N)/M, and min(round(s·M), M−N) are pruned before.
	cases := []struct {
		shape  []int
		nm     NM
		target float64
		kept   int
	}{
		{[]int{8, 3}, NM{N: 2, M: 4}, 0.5, 2},
		{[]int{8, 3}, NM{N: 1, M: 4}, 0.75, 1},
		{[]int{8, 3}, NM{N: 1, M: 4}, 0.5, 2}, // round(0.5·4) = 2 pruned
		{[]int{8, 3}, NM{N: 2, M: 4}, 0.9, 2}, // capped at M−N
		{[]int{2, 8, 3, 1}, NM{N: 3, M: 8, Axis: 1}, 5.0 / 8, 3},
		{[]int{3, 10}, NM{N: 4, M: 5, Axis: 1}, 0.2, 4},
	}
	for ci, c := range cases {
		w, data, step := matrixModel(t, c.shape...)
		s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
			WithPruning(w, Magnitude{}, constant(c.target), WithStructure(c.nm)))
		if err != nil {
			t.Fatalf("case %d: %v", ci, err)
		}
		step(s)
		runs := 0
		nmRuns(c.nm, tensor.Shape(c.shape), func(first, stride int) {
			runs++
			kept := 0
			for j := 0; j < c.nm.M; j++ {
				if data[first+j*stride] != 0 {
					kept++
				}
			}
			if kept != c.kept {
				t.Errorf("case %d (%s): run at %d keeps %d weights, want %d",
					ci, c.nm, first, kept, c.kept)
			}
		})
		if want := tensor.Shape(c.shape).TotalSize() / c.nm.M; runs != want {
			t.Errorf("case %d (%s): %d runs visited, want %d", ci, c.nm, runs, want)
		}
	}
}

func TestStructureShapeErrors(t *testing.T) {
	cases := []struct {
		shape     []int
		structure Structure
	}{
		{[]int{5}, Rows{}},
		{[]int{4, 4}, Filters{}},
		{[]int{4, 4}, Channels{}},
		{[]int{6, 4}, Blocks{Rows: 4, Cols: 4}},
		{[]int{6, 4}, NM{N: 2, M: 4}},
		{[]int{8, 4}, NM{N: 4, M: 4}},
		{[]int{8, 4}, NM{N: 1, M: 4, Axis: 2}},
	}
	for i, c := range cases {
		w, _, _ := matrixModel(t, c.shape...)
		_, err := Wrap(gorgonia.NewVanillaSolver(),
			WithPruning(w, Magnitude{}, constant(0.5), WithStructure(c.structure)))
		if err == nil {
			t.Errorf("case %d: %s on %v accepted", i, c.structure, c.shape)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"w"`) || !strings.Contains(msg, fmt.Sprint(tensor.Shape(c.shape))) {
			t.Errorf("case %d: error %q does not name the parameter and its shape", i, msg)
		}
		if !strings.Contains(msg, c.structure.String()) {
			t.Errorf("case %d: error %q does not name the structure %s", i, msg, c.structure)
		}
	}
}

// twoLayers returns two weights of different sizes in one graph.
func twoLayers(t *testing.T) (gorgonia.Nodes, func(*Solver)) {
	t.Helper()
	g := gorgonia.NewGraph()
	var nodes gorgonia.Nodes
	var cost *gorgonia.Node
	for i, sh := range []tensor.Shape{{20, 10}, {10, 4}} {
		n := sh.TotalSize()
		data := make([]float64, n)
		for j := range data {
			// Layer 0 holds small values, layer 1 large ones.
			data[j] = float64(j+1) * math.Pow(100, float64(i))
		}
		w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(sh...),
			gorgonia.WithName([]string{"a", "b"}[i]),
			gorgonia.WithValue(tensor.New(tensor.WithShape(sh...), tensor.WithBacking(data))))
		nodes = append(nodes, w)
		sum := gorgonia.Must(gorgonia.Sum(w))
		if cost == nil {
			cost = sum
		} else {
			cost = gorgonia.Must(gorgonia.Add(cost, sum))
		}
	}
	if _, err := gorgonia.Grad(cost, nodes...); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(nodes...))
	t.Cleanup(func() { vm.Close() })
	return nodes, func(s *Solver) {
		t.Helper()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		if err := s.Step(gorgonia.NodesToValueGrads(nodes)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGlobalPruningKeepsFloor(t *testing.T) {
	nodes, step := twoLayers(t)
	s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
		WithPruningGroup(nodes, Magnitude{}, constant(0.9), Allocate(Global)))
	if err != nil {
		t.Fatal(err)
	}
	step(s)
	m := s.Metrics()
	total := m.Params[0].Zeros + m.Params[1].Zeros
	// 240 weights at 90% is 216 zeros. The floor keeps one weight in each
	// of the 10 + 4 output columns, which the 24 kept weights allow.
	if total != 216 {
		t.Errorf("%d zeros, want 216", total)
	}
	a := float64s(nodes[0])
	for col := 0; col < 10; col++ {
		kept := 0
		for r := 0; r < 20; r++ {
			if a[r*10+col] != 0 {
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("column %d of the small layer was emptied", col)
		}
	}
	if m.Params[0].Sparsity <= m.Params[1].Sparsity {
		t.Errorf("small-valued layer sparsity %v, large-valued %v: want the small one pruned more",
			m.Params[0].Sparsity, m.Params[1].Sparsity)
	}
}

func TestERKAllocationTotal(t *testing.T) {
	for i, target := range []float64{0.3, 0.5, 0.8, 0.95} {
		nodes, step := twoLayers(t)
		s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
			WithPruningGroup(nodes, Magnitude{}, constant(target), Allocate(ERK)))
		if err != nil {
			t.Fatal(err)
		}
		step(s)
		m := s.Metrics()
		total := m.Params[0].Zeros + m.Params[1].Zeros
		if want := roundCount(target, 240); total != want {
			t.Errorf("case %d: %d zeros, want %d", i, total, want)
		}
		// ERK ratio (20+10)/200 = 0.15 for a, (10+4)/40 = 0.35 for b: the
		// larger layer a is sparser.
		if m.Params[0].Sparsity < m.Params[1].Sparsity {
			t.Errorf("case %d: sparsity %v for the larger layer, %v for the smaller: want larger ≥ smaller",
				i, m.Params[0].Sparsity, m.Params[1].Sparsity)
		}
	}
}

func TestRegrowthHoldsSparsity(t *testing.T) {
	for i, r := range []Regrowth{SET{Every: 2, End: 20}, RigL{Every: 2, End: 20, DropFraction: 0.5}} {
		m := newModel(t, tensor.Float32, 31)
		s, err := Wrap(NewAdam(), WithLearnRate(0.01),
			WithPruning(m.w1, Magnitude{}, constant(0.5), WithRegrowth(r)))
		if err != nil {
			t.Fatal(err)
		}
		vgs := gorgonia.NodesToValueGrads(m.params)
		flips := 0
		for step := 0; step < 20; step++ {
			m.forward(t)
			if err := s.Step(vgs); err != nil {
				t.Fatal(err)
			}
			if step > 0 {
				flips += s.Metrics().Flips
			}
			if z := s.Metrics().Params[0].Zeros; z < 48 {
				t.Fatalf("case %d step %d: %d zeros in w1, want at least 48", i, step, z)
			}
			if p := s.params[0].layer.pruned; p != 48 {
				t.Fatalf("case %d step %d: %d pruned, want 48", i, step, p)
			}
		}
		if flips == 0 {
			t.Errorf("case %d: regrowth changed no mask entry", i)
		}
	}
}

func TestTaylorReadsGradientBeforeStep(t *testing.T) {
	// With weights all 1, |w·g| ranks by |g|: after the step the gradient
	// is zeroed, so a criterion reading it late would see only ties and
	// prune the lowest indices.
	w, data, step := matrixModel(t, 4, 4)
	for i := range data {
		data[i] = 1
	}
	s, err := Wrap(gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0)),
		WithPruning(w, Taylor{}, constant(0.25)))
	if err != nil {
		t.Fatal(err)
	}
	// d(Σw)/dw is 1 everywhere, so make the gradient distinct by hand.
	step(s, func() {
		g, _ := w.Grad()
		gd := g.(*tensor.Dense).Float64s()
		for i := range gd {
			gd[i] = float64(16 - i)
		}
	})
	for i, v := range data {
		if pruned := i >= 12; pruned != (v == 0) {
			t.Fatalf("w[%d] = %v: want the 4 weights of smallest |g| (the last) pruned", i, v)
		}
	}
}

// policy is an adaptive schedule that records the signals it receives.
type policy struct {
	value float64
	seen  map[string]float64
}

func (p *policy) At(int) float64 { return p.value }
func (p *policy) Update(step int, signals map[string]float64) []schedules.Decision {
	for k, v := range signals {
		p.seen[k] = v
	}
	return nil
}
func (p *policy) MarshalState() ([]byte, error) { return nil, nil }
func (p *policy) UnmarshalState([]byte) error   { return nil }

func TestSignalsReachPolicies(t *testing.T) {
	m := newModel(t, tensor.Float32, 41)
	p := &policy{value: 0.5, seen: map[string]float64{}}
	s, err := Wrap(NewSGD(), WithPruning(m.w1, Magnitude{}, p))
	if err != nil {
		t.Fatal(err)
	}
	s.Observe("val_loss", 1.5)
	m.train(t, s, 1)
	for _, key := range []string{"sparsity", "sparsity/w1", "sparsity/b", "grad_norm", "val_loss"} {
		if _, ok := p.seen[key]; !ok {
			t.Errorf("signal %q not passed to Update", key)
		}
	}
	if got := p.seen["sparsity/w1"]; got != 0.5 {
		t.Errorf("sparsity/w1 = %v, want 0.5", got)
	}
	clear(p.seen)
	m.train(t, s, 1)
	if _, ok := p.seen["val_loss"]; ok {
		t.Error("an observed signal was passed again at the next step")
	}
}

// TestStepDoesNotAllocate steps each of this package's inner solvers,
// wrapped with pruning and an L1 or a group lasso prox, in float32 and
// float64, and requires Step and Metrics to allocate nothing between
// mask updates. The group lasso's prox runs through ops, whose scratch
// the first steps size, and Metrics measures its value.
func TestStepDoesNotAllocate(t *testing.T) {
	inners := []func() gorgonia.Solver{
		func() gorgonia.Solver { return NewSGD() },
		func() gorgonia.Solver { return NewMomentum() },
		func() gorgonia.Solver { return NewAdam() },
		func() gorgonia.Solver { return NewAdamW() },
	}
	terms := []struct {
		name   string
		pooled bool // the prox keeps scratch in a sync.Pool
		setup  func(m *model, reg *graphs.Regularizer) ([]Option, error)
	}{
		{"L1", false, func(m *model, reg *graphs.Regularizer) ([]Option, error) {
			return []Option{
				WithPruning(m.w1, Magnitude{}, ramp{to: 0.8, end: 1000}, UpdateEvery(100)),
				WithPruning(m.w2, Magnitude{}, constant(0.5)),
			}, reg.Add(m.w2, ops.L1{}, constant(0.01))
		}},
		{"GroupLasso", true, func(m *model, reg *graphs.Regularizer) ([]Option, error) {
			return []Option{WithPruning(m.w2, Magnitude{}, constant(0.5))},
				reg.Add(m.w1, ops.GroupLasso{Axis: 1}, constant(0.05), graphs.WithMode(graphs.Proximal))
		}},
	}
	for _, term := range terms {
		if term.pooled && raceEnabled {
			t.Logf("%s skipped: the race detector drops pooled scratch at random", term.name)
			continue
		}
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			for _, newInner := range inners {
				// Without a Recorder, Metrics measures the weights on demand.
				// With one, Step measures them in its fused passes.
				for ci, rec := range []Recorder{nil, &keepLast{}} {
					inner := newInner()
					name := fmt.Sprintf("%s %T %v case %d", term.name, inner, dt, ci)
					m := newModel(t, dt, 51)
					reg := graphs.NewRegularizer(m.g)
					pruning, err := term.setup(m, reg)
					if err != nil {
						t.Fatal(err)
					}
					opts := append([]Option{WithLearnRate(0.01), WithRegularizer(reg)}, pruning...)
					if rec != nil {
						opts = append(opts, WithRecorder(rec))
					}
					s, err := Wrap(inner, opts...)
					if err != nil {
						t.Fatal(err)
					}
					m.train(t, s, 2)
					vgs := gorgonia.NodesToValueGrads(m.params)
					grads := make([][]float64, len(m.params))
					for i, p := range m.params {
						g, _ := p.Grad()
						grads[i] = make([]float64, g.(*tensor.Dense).Size())
						for j := range grads[i] {
							grads[i][j] = float64(j%7) - 3
						}
					}
					allocs := testing.AllocsPerRun(50, func() {
						for i, p := range m.params {
							g, _ := p.Grad()
							if d := g.(*tensor.Dense); dt == tensor.Float64 {
								copy(d.Float64s(), grads[i])
							} else {
								copyToFloat32(d.Float32s(), grads[i])
							}
						}
						if err := s.Step(vgs); err != nil {
							t.Fatal(err)
						}
						if s.Metrics() == nil {
							t.Fatal("no metrics after a step")
						}
					})
					if allocs != 0 {
						t.Errorf("%s: Step and Metrics allocate %v times per call between "+
							"mask updates, want 0", name, allocs)
					}
					if v := s.Metrics().Terms[0].Value; !(v > 0) {
						t.Errorf("%s: term value %v, want a positive penalty", name, v)
					}
				}
			}
		}
	}
}

func copyToFloat32(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// edgeFloat32s returns n weights drawn from values around the threshold t
// and from edge cases: ±0, ±t, the neighbours of ±t, subnormals, the
// largest finite values and ±Inf. None is NaN.
func edgeFloat32s(r *rand.Rand, n int, t float32) []float32 {
	edges := []float32{0, float32(math.Copysign(0, -1)), t, -t,
		math.Nextafter32(t, 0), -math.Nextafter32(t, 0),
		math.Nextafter32(t, float32(math.Inf(1))), -math.Nextafter32(t, float32(math.Inf(1))),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1))}
	w := make([]float32, n)
	for i := range w {
		if r.IntN(2) == 0 {
			w[i] = edges[r.IntN(len(edges))]
		} else {
			w[i] = float32(r.NormFloat64())
		}
	}
	return w
}

// TestSoftThresholdVectorMatchesScalar compares softThreshold32, which
// uses AVX2 where available, bit for bit with the portable softThreshold
// and with the definition sign(w)·max(|w|−t, 0), which is +0 where it is
// zero or masked. It covers every length up to 140, with and without a
// mask, at thresholds 0, a subnormal, 0.5 and near the largest float32.
func TestSoftThresholdVectorMatchesScalar(t *testing.T) {
	forEachVectorPath(t, func(t *testing.T) {
		if !useAVX2 {
			t.Log("no AVX2: softThreshold32 runs the portable path only")
		}
		r := rand.New(rand.NewPCG(8, 9))
		thresholds := []float32{0, math.SmallestNonzeroFloat32, 0.5, math.MaxFloat32 / 2}
		for ti, thr := range thresholds {
			for n := 0; n <= 140; n++ {
				for _, masked := range []bool{false, true} {
					w := edgeFloat32s(r, n, thr)
					var keep []bool
					if masked {
						keep = make([]bool, n)
						for i := range keep {
							keep[i] = r.IntN(2) == 0
						}
					}
					want := make([]float32, n)
					for i, v := range w {
						switch {
						case masked && !keep[i]:
							want[i] = 0
						case v > thr:
							want[i] = v - thr
						case v < -thr:
							want[i] = v + thr
						default:
							want[i] = 0
						}
					}
					portable := append([]float32(nil), w...)
					softThreshold(portable, thr, keep)
					got := append([]float32(nil), w...)
					softThreshold32(got, thr, keep)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(portable[i]) {
							t.Fatalf("threshold %d n=%d masked=%v: index %d (w=%v) is %v, portable path gives %v",
								ti, n, masked, i, w[i], got[i], portable[i])
						}
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("threshold %d n=%d masked=%v: index %d (w=%v) is %v, definition gives %v",
								ti, n, masked, i, w[i], got[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestApplyMaskVectorMatchesScalar compares applyMask on float32, which
// uses AVX2 where available, bit for bit with the definition: kept
// entries unchanged (−0 stays −0), rejected ones +0.
func TestApplyMaskVectorMatchesScalar(t *testing.T) {
	forEachVectorPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(12, 13))
		for n := 0; n <= 140; n++ {
			w := edgeFloat32s(r, n, 1)
			keep := make([]bool, n)
			for i := range keep {
				keep[i] = r.IntN(2) == 0
			}
			got := append([]float32(nil), w...)
			applyMask(got, keep)
			for i := range got {
				want := w[i]
				if !keep[i] {
					want = 0
				}
				if math.Float32bits(got[i]) != math.Float32bits(want) {
					t.Fatalf("n=%d: index %d (w=%v, keep=%v) is %v, want %v", n, i, w[i], keep[i], got[i], want)
				}
			}
		}
	})
}

// TestVectorStatisticsMatchScalar compares the AVX2 reductions with the
// scalar ones: zero counts and non-finite indices exactly, sums to 1e-12
// relative (they add in another order), and the gradient norms, summed in
// float32 blocks, to 1e-6.
func TestVectorStatisticsMatchScalar(t *testing.T) {
	forEachVectorPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(10, 11))
		sizes := []int{300, 1000, 4099}
		for n := 0; n <= 70; n += 3 {
			sizes = append(sizes, n)
		}
		for _, n := range sizes {
			w := make([]float32, n)
			keep := make([]bool, n)
			for i := range w {
				if r.IntN(4) > 0 {
					w[i] = float32(r.NormFloat64())
				}
				keep[i] = r.IntN(3) > 0
			}
			z1, a1, q1 := weightStats32(w)
			z2, a2, q2 := weightStats(w)
			if z1 != z2 || !near(a1, a2) || !near(q1, q2) {
				t.Errorf("n=%d: weightStats32 (%d, %v, %v), scalar (%d, %v, %v)", n, z1, a1, q1, z2, a2, q2)
			}
			for _, k := range [][]bool{nil, keep} {
				b1, s1 := firstNonFinite32(w, k)
				b2, s2 := firstNonFinite(w, k)
				if b1 != b2 || math.Abs(s1-s2) > 1e-6*math.Max(1, s2) {
					t.Errorf("n=%d: firstNonFinite32 (%d, %v), scalar (%d, %v)", n, b1, s1, b2, s2)
				}
			}
			if n > 0 {
				bad := r.IntN(n)
				w[bad] = float32(math.Inf(1 - 2*r.IntN(2)))
				if n > 1 && r.IntN(2) == 0 {
					w[bad] = float32(math.NaN())
				}
				for _, k := range [][]bool{nil, keep} {
					if b, _ := firstNonFinite32(w, k); b != bad {
						t.Errorf("n=%d, mask %v: non-finite at %d reported at %d", n, k != nil, bad, b)
					}
				}
				// The largest finite float32 squares to a finite float64.
				w[bad] = math.MaxFloat32
				for _, k := range [][]bool{nil, keep} {
					if b, _ := firstNonFinite32(w, k); b != -1 {
						t.Errorf("n=%d, mask %v: finite input reported non-finite at %d", n, k != nil, b)
					}
				}
			}
		}
	})
}

// TestGradientNormFallsBackToFloat64 checks the gradient norms that the
// float32 block sums cannot hold: squares that overflow float32, squares
// too small for it, and an all-zero gradient, each against the scalar
// sum to 1e-12.
func TestGradientNormFallsBackToFloat64(t *testing.T) {
	forEachVectorPath(t, func(t *testing.T) {
		for _, scale := range []float32{1e30, 1e-25, 0} {
			g := make([]float32, 1000)
			keep := make([]bool, len(g))
			for i := range g {
				g[i] = scale * float32(i%7+1)
				keep[i] = i%3 > 0
			}
			for _, k := range [][]bool{nil, keep} {
				b1, s1 := firstNonFinite32(g, k)
				b2, s2 := firstNonFinite(g, k)
				if b1 != -1 || b2 != -1 || math.Abs(s1-s2) > 1e-12*s2 {
					t.Errorf("scale %v, mask %v: firstNonFinite32 (%d, %v), scalar (%d, %v)",
						scale, k != nil, b1, s1, b2, s2)
				}
			}
		}
	})
}

// TestGradientCheckFindsEveryNonFinite puts a NaN, +Inf or −Inf at each
// position of gradients of every length up to 300, kept or pruned, among
// entries whose squares overflow float32 or fall below its normal range.
// firstNonFinite32 must return the index the scalar check returns, and
// without such an entry the same norm to 1e-6 relative.
func TestGradientCheckFindsEveryNonFinite(t *testing.T) {
	forEachVectorPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(14, 15))
		scales := []float32{1, 1e-20, 1e19, 3e19}
		bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
		for n := 0; n <= 300; n++ {
			g := make([]float32, n)
			keep := make([]bool, n)
			for pos := -1; pos < n; pos++ {
				for _, masked := range []bool{false, true} {
					for i := range g {
						g[i] = float32(r.NormFloat64()) * scales[i%len(scales)]
						keep[i] = r.IntN(3) > 0
					}
					var k []bool
					if masked {
						k = keep
					}
					if pos >= 0 {
						g[pos] = bad[r.IntN(len(bad))]
					}
					b1, s1 := firstNonFinite32(g, k)
					b2, s2 := firstNonFinite(g, k)
					if b1 != b2 {
						t.Fatalf("n=%d, non-finite entry at %d, masked %v: firstNonFinite32 "+
							"returns index %d, the scalar check %d", n, pos, masked, b1, b2)
					}
					if math.Abs(s1-s2) > 1e-6*s2 {
						t.Fatalf("n=%d, masked %v: norm² %v, the scalar check %v", n, masked, s1, s2)
					}
				}
			}
		}
	})
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// TestRegrowthDropFractionDecays checks the flips of each drop-and-grow
// update against the cosine decay f(t) = 0.3·(1+cos(π·t/20))/2 on the 48
// kept weights of w1: round(f·48) dropped and as many grown.
func TestRegrowthDropFractionDecays(t *testing.T) {
	want := map[int]int{5: 2 * 12, 10: 2 * 7, 15: 2 * 2} // f = 0.2561, 0.15, 0.0439
	for i, r := range []Regrowth{SET{Every: 5, End: 20}, RigL{Every: 5, End: 20}} {
		m := newModel(t, tensor.Float32, 32)
		s, err := Wrap(NewAdam(), WithLearnRate(0.01),
			WithPruning(m.w1, Magnitude{}, constant(0.5), WithRegrowth(r)))
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 20; step++ {
			m.train(t, s, 1)
			if step == 0 {
				continue
			}
			if got := s.Metrics().Flips; got != want[step] {
				t.Errorf("case %d (%T) step %d: %d flips, want %d", i, r, step, got, want[step])
			}
		}
	}
}

// TestRegrowthResetsMoments checks that the weights RigL grows start at
// 0 with Adam moments of 0, while kept weights keep theirs.
func TestRegrowthResetsMoments(t *testing.T) {
	m := newModel(t, tensor.Float32, 33)
	adam := NewAdam()
	s, err := Wrap(adam, WithLearnRate(0.01),
		WithPruning(m.w1, Magnitude{}, constant(0.5), WithRegrowth(RigL{Every: 3, End: 30})))
	if err != nil {
		t.Fatal(err)
	}
	m.train(t, s, 3) // steps 0 to 2: prune, then two plain steps
	before := append([]bool(nil), s.params[0].keep...)
	m.train(t, s, 1) // step 3 regrows

	after := s.params[0].keep
	w := float64s(m.w1)
	grown, kept := 0, 0
	for j := range after {
		mom, vel := adam.state.m32[0][j], adam.state.v32[0][j]
		switch {
		case after[j] && !before[j]:
			grown++
			if w[j] != 0 || mom != 0 || vel != 0 {
				t.Errorf("grown w1[%d] = %v with moments %v, %v; want all 0", j, w[j], mom, vel)
			}
		case after[j]:
			if vel != 0 {
				kept++
			}
		}
	}
	if grown == 0 {
		t.Error("no weights grown, want some")
	}
	if kept == 0 {
		t.Error("no kept weights with moments, want some")
	}
}

// forEachVectorPath runs f as a subtest with the widest vector kernels the
// processor has, and again with AVX-512 turned off when it is on, so that
// the AVX2 kernels are tested on such a processor too.
func forEachVectorPath(t *testing.T, f func(t *testing.T)) {
	t.Run("widest", f)
	if useAVX512 {
		useAVX512 = false
		defer func() { useAVX512 = true }()
		t.Run("avx2", f)
	}
}
