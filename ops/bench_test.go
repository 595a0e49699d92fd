package ops_test

import (
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/regsched/regsched/ops"
)

// BenchmarkPenaltyL1 compares forward and backward passes of λ·‖w‖₁ on
// 1M float32 weights through a TapeMachine: fused is the Penalty op and
// stock the same penalty built from Gorgonia's Abs, Sum and Mul.
func BenchmarkPenaltyL1(b *testing.B) {
	b.Run("fused", func(b *testing.B) {
		benchmarkPenaltyL1(b, func(w, c *gorgonia.Node) (*gorgonia.Node, error) {
			return ops.Penalty(w, c, ops.L1{})
		})
	})
	b.Run("stock", func(b *testing.B) {
		benchmarkPenaltyL1(b, func(w, c *gorgonia.Node) (*gorgonia.Node, error) {
			abs, err := gorgonia.Abs(w)
			if err != nil {
				return nil, err
			}
			sum, err := gorgonia.Sum(abs)
			if err != nil {
				return nil, err
			}
			return gorgonia.Mul(c, sum)
		})
	})
}

func benchmarkPenaltyL1(b *testing.B, penalty func(w, c *gorgonia.Node) (*gorgonia.Node, error)) {
	const n = 1 << 20
	rng := rand.New(rand.NewSource(1))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	g := gorgonia.NewGraph()
	w := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(n), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(v))))
	c := gorgonia.NewScalar(g, tensor.Float32, gorgonia.WithName("c"),
		gorgonia.WithValue(float32(1e-3)))
	cost, err := penalty(w, c)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, w); err != nil {
		b.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
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
