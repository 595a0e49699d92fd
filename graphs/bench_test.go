package graphs_test

import (
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/graphs"
)

// BenchmarkMLPStep times one forward and backward pass of a training
// graph on a TapeMachine, as a training loop runs it.
func BenchmarkMLPStep(b *testing.B) {
	b.Run("digits-64-128-64-10", func(b *testing.B) {
		benchmarkMLPStep(b, graphs.MLPConfig{Sizes: []int{64, 128, 64, 10}, Batch: 32})
	})
	b.Run("lenet-784-300-100-10", func(b *testing.B) {
		benchmarkMLPStep(b, graphs.MLPConfig{Sizes: []int{784, 300, 100, 10}, Batch: 64})
	})
}

func benchmarkMLPStep(b *testing.B, cfg graphs.MLPConfig) {
	g := gorgonia.NewGraph()
	m, err := graphs.NewMLP(g, cfg)
	if err != nil {
		b.Fatal(err)
	}

	x := tensor.New(tensor.WithShape(cfg.Batch, cfg.Sizes[0]), tensor.Of(tensor.Float64))
	out := cfg.Sizes[len(cfg.Sizes)-1]
	y := make([]float64, cfg.Batch*out)
	for r := 0; r < cfg.Batch; r++ {
		y[r*out+r%out] = 1
	}
	if err := gorgonia.Let(m.X, x); err != nil {
		b.Fatal(err)
	}
	if err := gorgonia.Let(m.Y, tensor.New(tensor.WithShape(cfg.Batch, out), tensor.WithBacking(y))); err != nil {
		b.Fatal(err)
	}
	if _, err := gorgonia.Grad(m.Loss, m.Params()...); err != nil {
		b.Fatal(err)
	}

	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(m.Params()...))
	defer vm.Close()

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
}
