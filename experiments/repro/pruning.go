package repro

import (
	"fmt"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/regsched/regsched/experiments"
	"github.com/regsched/regsched/experiments/datasets"
	"github.com/regsched/regsched/schedules"
	"github.com/regsched/regsched/solvers"
)

// PruneProtocol is the training set-up shared by the runs of a pruning
// comparison. Begin, End and Every count optimizer steps.
// In a recipe it is the training section, with the keys of RunConfig.
type PruneProtocol struct {
	RunConfig `yaml:",inline"`
	Begin     int `yaml:"prune_begin"` // first step of gradual pruning
	End       int `yaml:"prune_end"`   // step where gradual pruning reaches its target
	Every     int `yaml:"prune_every"` // steps between gradual mask updates
}

// check records the invalid values of p, naming them under path.
func (p PruneProtocol) check(fc *experiments.FieldCheck, path string) {
	p.RunConfig.check(fc, path)
	if p.Begin < 0 {
		fc.Fail(path+".prune_begin", "(%d) is negative", p.Begin)
	}
	if p.End <= p.Begin || p.End >= p.Steps {
		fc.Fail(path+".prune_end", "(%d) must lie after prune_begin (%d) and before steps (%d)",
			p.End, p.Begin, p.Steps)
	}
	if p.Every <= 0 {
		fc.Fail(path+".prune_every", "(%d) must be positive", p.Every)
	}
}

// Validate returns an error naming the first invalid field.
func (p PruneProtocol) Validate() error {
	fc := experiments.NewFieldCheck("PruneProtocol", nil)
	p.check(fc, "training")
	return errors.WithMessage(fc.Err(), "repro")
}

// PruneResult is the outcome of one run of a pruning comparison.
type PruneResult struct {
	Method   string  `json:"method"`
	Target   float64 `json:"target"` // requested sparsity of every weight matrix
	Seed     int64   `json:"seed"`
	Accuracy float64 `json:"accuracy"` // on the test set
	Sparsity float64 `json:"sparsity"` // measured fraction of zero weights, biases excluded
	// LayerSparsity is the measured fraction of zero weights of each
	// weight matrix, input layer first.
	LayerSparsity []float64 `json:"layer_sparsity,omitempty"`
	Seconds       float64   `json:"seconds"` // wall-clock training time
}

// layerSparsity returns the fraction of exactly zero weights of each
// layer of n.
func layerSparsity(n *Net) []float64 {
	out := make([]float64, len(n.Layers))
	for i, l := range n.Layers {
		zeros := 0
		for _, v := range l.W {
			if v == 0 {
				zeros++
			}
		}
		out[i] = float64(zeros) / float64(len(l.W))
	}
	return out
}

// Method is an extra pruning method of a comparison: Setup returns the
// set-up of a full run for a target sparsity, or nil to skip that target.
type Method struct {
	Name  string
	Setup func(target float64) Setup
}

// prunedWeights returns a set-up that prunes every weight matrix (biases
// are not pruned) by magnitude to the sparsity schedule spec.
func prunedWeights(spec string, extra ...solvers.PruneOption) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		sched, err := schedules.Parse(spec)
		if err != nil {
			return nil, nil, err
		}
		var opts []solvers.Option
		for _, w := range m.Weights {
			opts = append(opts, solvers.WithPruning(w, solvers.Magnitude{}, sched, extra...))
		}
		return nil, opts, nil
	}
}

// GradualSpec returns the Zhu & Gupta (2017) cubic sparsity schedule of
// p, updated every p.Every steps, as a schedules.Parse spec.
func (p PruneProtocol) GradualSpec(target float64) string {
	return fmt.Sprintf("every(%d, poly(0, %v, %d, %d, power=3))", p.Every, target, p.Begin, p.End)
}

// DecaySpec returns the learning-rate schedule of a fine-tuning tail:
// p.LearnRate until p.End, where gradual pruning reaches its target, then
// a cosine decay to p.LearnRate/100 at p.Steps, as a schedules.Parse spec.
func (p PruneProtocol) DecaySpec() string {
	return fmt.Sprintf("cosine(%v, %v, %d, %d)", p.LearnRate, p.LearnRate/100, p.End, p.Steps)
}

// withLearnRate returns setup with the learning rate following the
// schedule spec instead of staying constant.
func withLearnRate(spec string, setup Setup) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		cost, opts, err := setup(m)
		if err != nil {
			return nil, nil, err
		}
		eta, err := schedules.Parse(spec)
		if err != nil {
			return nil, nil, err
		}
		return cost, append(opts, solvers.WithLearnRateSchedule(eta)), nil
	}
}

// allocatedWeights returns a set-up that prunes the weight matrices of a
// model as one group by magnitude along the cubic schedule of p. The
// allocation a (solvers.Global or solvers.ERK) shares the target among them.
func allocatedWeights(p PruneProtocol, target float64, a solvers.Allocation) Setup {
	return func(m *Model) (*gorgonia.Node, []solvers.Option, error) {
		sched, err := schedules.Parse(p.GradualSpec(target))
		if err != nil {
			return nil, nil, err
		}
		return nil, []solvers.Option{solvers.WithPruningGroup(m.Weights, solvers.Magnitude{},
			sched, solvers.Allocate(a))}, nil
	}
}

// ComparePruning runs, for one seed, a dense baseline and for each
// target sparsity gradual magnitude pruning (the cubic schedule of
// GradualSpec, every weight matrix pruned to the same sparsity) and
// one-shot magnitude pruning. One-shot takes the dense run's weights
// after p.End steps, prunes each matrix to the target by magnitude at
// once and fine-tunes for the remaining p.Steps − p.End steps with a
// fresh Adam. Both methods thus train for p.Steps steps and reach the
// target at the same step.
//
// Each extra method is trained for p.Steps steps from the same initial
// weights. progress, if not nil, receives each result as it is made.
func ComparePruning(p PruneProtocol, train, test *datasets.Set, targets []float64, seed int64,
	extra []Method,
	progress func(PruneResult)) ([]PruneResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	init, err := NewNet(p.Sizes, seed)
	if err != nil {
		return nil, err
	}
	var results []PruneResult
	record := func(method string, target float64, net *Net, start time.Time) error {
		acc, err := net.Accuracy(test)
		if err != nil {
			return err
		}
		r := PruneResult{Method: method, Target: target, Seed: seed, Accuracy: acc,
			Sparsity: net.Sparsity(), LayerSparsity: layerSparsity(net),
			Seconds: time.Since(start).Seconds()}
		results = append(results, r)
		if progress != nil {
			progress(r)
		}
		return nil
	}

	start := time.Now()
	dense, atEnd, err := Train(p.RunConfig, init, train, seed, nil, nil, p.End)
	if err != nil {
		return nil, errors.Wrap(err, "repro: ComparePruning: dense")
	}
	if err := record("dense", 0, dense, start); err != nil {
		return nil, err
	}

	for _, s := range targets {
		start = time.Now()
		net, _, err := Train(p.RunConfig, init, train, seed, prunedWeights(p.GradualSpec(s)), nil, 0)
		if err != nil {
			return nil, errors.Wrapf(err, "repro: ComparePruning: gradual %v", s)
		}
		if err := record("gradual", s, net, start); err != nil {
			return nil, err
		}

		start = time.Now()
		spec := fmt.Sprintf("constant(%v)", s)
		fine := p.RunConfig
		fine.Steps = p.Steps - p.End
		net, _, err = Train(fine, atEnd, train, seed+1000, prunedWeights(spec), nil, 0)
		if err != nil {
			return nil, errors.Wrapf(err, "repro: ComparePruning: one-shot %v", s)
		}
		if err := record("one-shot", s, net, start); err != nil {
			return nil, err
		}

		for _, method := range extra {
			setup := method.Setup(s)
			if setup == nil {
				continue
			}
			start = time.Now()
			net, _, err := Train(p.RunConfig, init, train, seed, setup, nil, 0)
			if err != nil {
				return nil, errors.Wrapf(err, "repro: ComparePruning: %s %v", method.Name, s)
			}
			if err := record(method.Name, s, net, start); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}
