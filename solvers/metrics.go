package solvers

import "github.com/regsched/regsched/schedules"

// Metrics describes the step just completed. The solver reuses one
// Metrics value and its slices, so it is valid until the next Step. Copy
// what must outlive it.
type Metrics struct {
	Step        int     // the step just completed, counted from 0
	LearnRate   float64 // η used by the step; 0 when the solver does not set it
	Sparsity    float64 // fraction of zeros over every parameter, or 0 when all are empty
	WeightNorm  float64 // L2 norm of all parameters after the step
	GradNorm    float64 // L2 norm of the gradient the inner solver received
	MaskUpdated bool    // a pruning group updated or regrew its masks
	Flips       int     // mask entries changed by this step's updates

	Params    []ParamMetrics       // one per parameter, in model order
	Terms     []TermMetrics        // one per regularizer entry, in order
	Decisions []schedules.Decision // moves of adaptive policies after this step
}

// ParamMetrics describes one parameter after a step.
type ParamMetrics struct {
	Name       string
	Size       int     // number of weights
	Zeros      int     // weights exactly 0
	Sparsity   float64 // Zeros / Size, or 0 when Size is 0
	Pruned     bool    // the parameter belongs to a pruning group
	Target     float64 // its group's sparsity target at this step
	WeightNorm float64 // L2 norm after the step
	GradNorm   float64 // L2 norm of the masked gradient before the step
	Flips      int     // mask entries changed by the last mask update
}

// TermMetrics describes one regularizer entry after a step.
type TermMetrics struct {
	Name   string
	Lambda float64 // λ(t) used by this step
	Value  float64 // R(w) after the step, without λ
}

// Recorder receives the metrics of every step. Record must not keep m or
// its slices after it returns.
type Recorder interface {
	Record(m *Metrics)
}

// Metrics returns the metrics of the last step, or nil before the first
// one. The value is overwritten by the next Step. Without a Recorder or
// an adaptive policy, Step measures only the gradients. The first call of
// Metrics after a Step then measures the weights (zeros, norms, term
// values) as they are at that call, so call it before changing them.
// Metrics does not allocate.
func (s *Solver) Metrics() *Metrics {
	if s.step == 0 || !s.bound {
		return nil
	}
	if !s.weightsMeasured {
		s.measureWeights()
	}
	return &s.metrics
}
