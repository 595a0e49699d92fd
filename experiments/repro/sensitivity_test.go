package repro

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSensitivityLinearNet(t *testing.T) {
	_, test := loadDigits(t)
	test = test.Head(50)
	n, err := NewNet([]int{64, 10}, 7)
	if err != nil {
		t.Fatal(err)
	}
	s, err := MeasureSensitivity(n, test, 0.5, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	// For f(x) = xW + b the Jacobian is Wᵀ everywhere, so the local and
	// global Lipschitz constants are both ‖W‖₂ (definition).
	const tol = 1e-9
	if math.Abs(s.MeanJacobian-s.LipschitzBound) > tol*s.LipschitzBound {
		t.Errorf("mean Jacobian norm %v, want ‖W‖₂ = %v", s.MeanJacobian, s.LipschitzBound)
	}
	if math.Abs(s.MaxJacobian-s.LipschitzBound) > tol*s.LipschitzBound {
		t.Errorf("max Jacobian norm %v, want ‖W‖₂ = %v", s.MaxJacobian, s.LipschitzBound)
	}
	// Float32 forward passes add relative error near 1e-6.
	if s.MaxRatio > s.LipschitzBound*(1+1e-4) {
		t.Errorf("max response ratio %v exceeds ‖W‖₂ = %v", s.MaxRatio, s.LipschitzBound)
	}
	if !(s.MeanRatio > 0 && s.MeanRatio <= s.MaxRatio) {
		t.Errorf("mean ratio %v, want in (0, max %v]", s.MeanRatio, s.MaxRatio)
	}
}

func TestJacobianNormFiniteDifference(t *testing.T) {
	_, test := loadDigits(t)
	n, err := NewNet([]int{64, 20, 10}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		x := test.Row(i)
		got, err := jacobianNorm(n, x)
		if err != nil {
			t.Fatal(err)
		}
		// Central differences: a ReLU net is linear between kinks, so
		// with a small step the quotient is the Jacobian up to float32
		// rounding of the forward pass.
		const h = 1e-3
		jac := mat.NewDense(10, 64, nil)
		for k := 0; k < 64; k++ {
			plus := toFloat32(x)
			minus := toFloat32(x)
			plus[k] += h
			minus[k] -= h
			yp, _ := n.Forward(plus, 1)
			yp = append([]float32(nil), yp...)
			ym, _ := n.Forward(minus, 1)
			for o := 0; o < 10; o++ {
				jac.Set(o, k, (float64(yp[o])-float64(ym[o]))/(2*h))
			}
		}
		var svd mat.SVD
		if !svd.Factorize(jac, mat.SVDNone) {
			t.Fatal("SVD failed")
		}
		want := svd.Values(nil)[0]
		if math.Abs(got-want) > 1e-2*want {
			t.Errorf("sample %d: Jacobian norm %v, finite differences %v", i, got, want)
		}
	}
}
