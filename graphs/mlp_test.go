package graphs_test

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
)

// randomInputs fills m.X with uniform values and m.Y with one-hot rows
// (classification) or uniform values (regression).
func randomInputs(t *testing.T, m *graphs.MLP, cfg graphs.MLPConfig, seed int64) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	in, out := cfg.Sizes[0], cfg.Sizes[len(cfg.Sizes)-1]
	x := make([]float64, cfg.Batch*in)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	y := make([]float64, cfg.Batch*out)
	for r := 0; r < cfg.Batch; r++ {
		if cfg.Loss == graphs.CrossEntropy {
			y[r*out+rng.Intn(out)] = 1
			continue
		}
		for j := 0; j < out; j++ {
			y[r*out+j] = 2*rng.Float64() - 1
		}
	}
	if err := gorgonia.Let(m.X, tensorOf(cfg.Dtype, []int{cfg.Batch, in}, x)); err != nil {
		t.Fatal(err)
	}
	if err := gorgonia.Let(m.Y, tensorOf(cfg.Dtype, []int{cfg.Batch, out}, y)); err != nil {
		t.Fatal(err)
	}
}

func tensorOf(dt tensor.Dtype, shape []int, v []float64) tensor.Tensor {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

func TestMLPGradient(t *testing.T) {
	cases := []graphs.MLPConfig{
		{Sizes: []int{5, 4, 3}, Batch: 3, Seed: 1},
		{Sizes: []int{5, 4, 6, 3}, Batch: 2, Seed: 2, Dtype: tensor.Float32},
		{Sizes: []int{4, 3}, Batch: 4, Seed: 3},
		{Sizes: []int{4, 1}, Batch: 5, Seed: 4, Loss: graphs.MeanSquaredError, NoBias: true},
		{Sizes: []int{3, 4, 2}, Batch: 3, Seed: 5, Loss: graphs.MeanSquaredError},
	}
	for i, cfg := range cases {
		g := gorgonia.NewGraph()
		m, err := graphs.NewMLP(g, cfg)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		randomInputs(t, m, cfg, int64(i))
		var opts []graphs.CheckOption
		if cfg.Dtype == tensor.Float32 {
			opts = append(opts, graphs.WithStep(1e-2), graphs.WithTolerance(3e-2))
		}
		rep, err := graphs.CheckGradient(m.Loss, m.Params(), opts...)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !rep.OK {
			t.Errorf("case %d: %v", i, rep)
		}
	}
}

// TestMLPLossValue checks the loss against a direct computation of the
// forward pass and of softmax cross-entropy or mean squared error.
func TestMLPLossValue(t *testing.T) {
	for i, cfg := range []graphs.MLPConfig{
		{Sizes: []int{3, 4, 2}, Batch: 2, Seed: 7},
		{Sizes: []int{3, 2}, Batch: 3, Seed: 8, Loss: graphs.MeanSquaredError},
	} {
		g := gorgonia.NewGraph()
		m, err := graphs.NewMLP(g, cfg)
		if err != nil {
			t.Fatal(err)
		}
		randomInputs(t, m, cfg, 9)
		vm := gorgonia.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Close()

		h := m.X.Value().Data().([]float64)
		rows := cfg.Batch
		for l, w := range m.Weights {
			in, out := cfg.Sizes[l], cfg.Sizes[l+1]
			wd := w.Value().Data().([]float64)
			next := make([]float64, rows*out)
			for r := 0; r < rows; r++ {
				for j := 0; j < out; j++ {
					var s float64
					for k := 0; k < in; k++ {
						s += h[r*in+k] * wd[k*out+j]
					}
					if l < len(m.Weights)-1 {
						s = math.Max(s, 0)
					}
					next[r*out+j] = s
				}
			}
			h = next
		}
		out := cfg.Sizes[len(cfg.Sizes)-1]
		y := m.Y.Value().Data().([]float64)
		var want float64
		for r := 0; r < rows; r++ {
			z := h[r*out : (r+1)*out]
			if cfg.Loss == graphs.CrossEntropy {
				var sum float64
				for _, v := range z {
					sum += math.Exp(v)
				}
				for j, v := range z {
					want -= y[r*out+j] * (v - math.Log(sum)) / float64(rows)
				}
				continue
			}
			for j, v := range z {
				want += (v - y[r*out+j]) * (v - y[r*out+j]) / float64(rows*out)
			}
		}
		if got := scalarOf(t, m.Loss.Value()); math.Abs(got-want) > 1e-12 {
			t.Errorf("case %d: loss = %.15g; want %.15g", i, got, want)
		}
	}
}

func TestMLPInitDeterministic(t *testing.T) {
	cfg := graphs.MLPConfig{Sizes: []int{64, 32, 10}, Batch: 8, Seed: 42}
	build := func() *graphs.MLP {
		m, err := graphs.NewMLP(gorgonia.NewGraph(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := build(), build()
	for l := range a.Weights {
		wa := a.Weights[l].Value().Data().([]float64)
		wb := b.Weights[l].Value().Data().([]float64)
		limit := math.Sqrt(6 / float64(cfg.Sizes[l]+cfg.Sizes[l+1]))
		for i := range wa {
			if wa[i] != wb[i] {
				t.Fatalf("layer %d element %d differs between builds: %v, %v", l, i, wa[i], wb[i])
			}
			if math.Abs(wa[i]) > limit {
				t.Fatalf("layer %d element %d = %v is outside the Glorot limit %v", l, i, wa[i], limit)
			}
		}
	}
	if n := len(a.Params()); n != 4 {
		t.Errorf("Params has %d nodes; want 4", n)
	}
}

func TestMLPShapes(t *testing.T) {
	g := gorgonia.NewGraph()
	m, err := graphs.NewMLP(g, graphs.MLPConfig{Sizes: []int{784, 300, 100, 10}, Batch: 16,
		Dtype: tensor.Float32})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{784, 300}, {300, 100}, {100, 10}}
	for l, w := range m.Weights {
		if !w.Shape().Eq(tensor.Shape(want[l])) {
			t.Errorf("layer %d: weight shape %v; want %v", l, w.Shape(), want[l])
		}
		if w.Dtype() != tensor.Float32 {
			t.Errorf("layer %d: dtype %v; want float32", l, w.Dtype())
		}
	}
	if !m.Logits.Shape().Eq(tensor.Shape{16, 10}) {
		t.Errorf("logits shape %v; want (16, 10)", m.Logits.Shape())
	}
}

func TestMLPConfigErrors(t *testing.T) {
	cases := []graphs.MLPConfig{
		{Sizes: []int{4}, Batch: 1},
		{Sizes: []int{4, 0, 2}, Batch: 1},
		{Sizes: []int{4, 2}, Batch: 0},
		{Sizes: []int{4, 2}, Batch: 1, Dtype: tensor.Int},
		{Sizes: []int{4, 1}, Batch: 1},
		{Sizes: []int{4, 2}, Batch: 1, Loss: graphs.Loss(9)},
	}
	for i, cfg := range cases {
		if _, err := graphs.NewMLP(gorgonia.NewGraph(), cfg); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if _, err := graphs.NewMLP(nil, graphs.MLPConfig{Sizes: []int{2, 2}, Batch: 1}); err == nil {
		t.Error("nil graph: no error")
	}
}
