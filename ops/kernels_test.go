package ops

import (
	"math"
	"math/rand"
	"testing"
)

// kernelInput returns n float32 values drawn from a normal distribution,
// with +0 and −0 at fixed positions so that both the vector body and the
// scalar tail of the kernels meet them.
func kernelInput(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		switch i % 11 {
		case 3:
			x[i] = 0
		case 7:
			x[i] = float32(math.Copysign(0, -1))
		}
	}
	return x
}

// TestL1KernelsFloat32 compares l1Value and l1AddGrad on float32, which
// use the AVX2 kernels where the processor has them, with plain loops
// over every length from 0 to 40 and one long odd length.
func TestL1KernelsFloat32(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	lengths := []int{1003}
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	const scale = float32(0.375)
	for _, n := range lengths {
		x := kernelInput(n, rng)
		var want float64
		for _, v := range x {
			want += math.Abs(float64(v))
		}
		if got := l1Value(x); math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Errorf("n=%d: l1Value = %.15g; want %.15g", n, got, want)
		}

		g := make([]float32, n)
		for i := range g {
			g[i] = float32(i) / 8
		}
		l1AddGrad(x, g, scale)
		for i, v := range x {
			want := float32(i) / 8
			switch {
			case v > 0:
				want += scale
			case v < 0:
				want -= scale
			}
			if g[i] != want {
				t.Errorf("n=%d: g[%d] = %v for x = %v; want %v", n, i, g[i], v, want)
			}
		}
	}
}

// TestL1AddGradNaN pins the documented NaN rule: a NaN weight adds
// ±scale by its sign bit, in the vector body and in the tail alike.
func TestL1AddGradNaN(t *testing.T) {
	nan := float32(math.NaN())
	negNaN := float32(math.Copysign(math.NaN(), -1))
	for _, n := range []int{9, 16, 17} {
		x := make([]float32, n)
		x[0], x[n-1] = nan, negNaN
		g := make([]float32, n)
		l1AddGrad(x, g, 2)
		if g[0] != 2 || g[n-1] != -2 {
			t.Errorf("n=%d: NaN gradients %v and %v; want 2 and -2", n, g[0], g[n-1])
		}
		for i := 1; i < n-1; i++ {
			if g[i] != 0 {
				t.Errorf("n=%d: g[%d] = %v at x = 0; want 0", n, i, g[i])
			}
		}
	}
	x64 := []float64{math.NaN(), 0, -1}
	g64 := make([]float64, 3)
	l1AddGrad(x64, g64, 2)
	if g64[0] != 2 || g64[1] != 0 || g64[2] != -2 {
		t.Errorf("float64: gradients %v; want [2 0 -2]", g64)
	}
}
