package ops

import "gorgonia.org/tensor"

// Term is a penalty R(w) on a float32 or float64 tensor.
type Term interface {
	// Value returns R(w).
	Value(w tensor.Tensor) (float64, error)
	// AddGrad adds scale·∇R(w) into grad, which has w's shape and type.
	AddGrad(w, grad tensor.Tensor, scale float64) error
}

// ProxTerm is a term with a closed-form proximal operator.
type ProxTerm interface {
	Term
	// Prox replaces w in place by argmin_x ½‖x−w‖² + t·R(x).
	Prox(w tensor.Tensor, t float64) error
}
