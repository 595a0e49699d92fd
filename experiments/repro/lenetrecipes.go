package repro

import (
	"slices"

	"github.com/regsched/regsched/experiments"
)

// The recipes of the LeNet-300-100 reproductions on Fashion-MNIST. Their
// data folder holds the four IDX files under their published names.

// LeNetRecipe is the recipe of the pruning comparison: gradual against
// one-shot magnitude pruning at each target sparsity.
type LeNetRecipe struct {
	Common   `yaml:",inline"`
	Training PruneProtocol `yaml:"training"`
	// Targets are the sparsities of every weight matrix.
	Targets []float64 `yaml:"targets,flow"`
	// ExtraTargets are the targets, among Targets, where the comparison
	// also runs "gradual, global + LR decay".
	ExtraTargets []float64 `yaml:"extra_targets,flow,omitempty"`
}

func (r *LeNetRecipe) common() *Common { return &r.Common }

func (r *LeNetRecipe) check(fc *experiments.FieldCheck) {
	r.checkSeeds(fc)
	r.Training.check(fc, "training")
	checkTargets(fc, r.Targets)
	for i, t := range r.ExtraTargets {
		if !slices.Contains(r.Targets, t) {
			fc.Fail(key("extra_targets", i), "(%v) is not one of targets", t)
		}
	}
}

// LeNetFullRecipe is the recipe of the single-seed check under the
// reference's full protocol.
type LeNetFullRecipe struct {
	Common   `yaml:",inline"`
	Training PruneProtocol `yaml:"training"`
	// Runs are the trained configurations, all from the same weights.
	Runs []FullRun `yaml:"runs"`
}

// FullRun is one run of LeNetFullRecipe. Method "dense" trains without
// pruning (target 0). "gradual" prunes every weight matrix to the target,
// and "gradual, global" ranks all matrices together. "gradual, global +
// LR decay" also decays the learning rate once the target is reached,
// and "gradual, ERK + LR decay" shares the target by the
// Erdős–Rényi-kernel rule instead of ranking.
type FullRun struct {
	Method string  `yaml:"method"`
	Target float64 `yaml:"target"`
}

func (r *LeNetFullRecipe) common() *Common { return &r.Common }

func (r *LeNetFullRecipe) check(fc *experiments.FieldCheck) {
	if len(r.Seeds) != 1 {
		fc.Fail("seeds", "has %d seeds; lenet-full runs exactly one", len(r.Seeds))
	}
	r.Training.check(fc, "training")
	if len(r.Runs) == 0 {
		fc.Fail("runs", "is empty")
	}
	for i, run := range r.Runs {
		switch run.Method {
		case "dense":
			if run.Target != 0 {
				fc.Fail(key("runs", i)+".target", "(%v) must be 0 for a dense run", run.Target)
			}
		case methodGradual, methodGlobal, methodGlobalDecay, methodERKDecay:
			checkUnit(fc, key("runs", i)+".target", run.Target)
		default:
			fc.Fail(key("runs", i)+".method", "(%q) is unknown: want %q, %q, %q, %q or %q",
				run.Method, methodDense, methodGradual, methodGlobal, methodGlobalDecay,
				methodERKDecay)
		}
	}
}

// SparseRecipe is the recipe of the sparse-training comparison: static
// masks against SET and RigL drop-and-grow at equal sparsity.
type SparseRecipe struct {
	Common   `yaml:",inline"`
	Training RunConfig `yaml:"training"`
	// Targets are the global sparsities of the weight matrices.
	Targets []float64 `yaml:"targets,flow"`
	// Methods are among "static", "SET" and "RigL".
	Methods  []string `yaml:"methods,flow"`
	Regrowth Regrowth `yaml:"regrowth"`
}

// Regrowth is the drop-and-grow cadence of SET and RigL: every Every
// steps until step End, dropping the share DropFraction of the kept
// weights at first, decayed by a cosine.
type Regrowth struct {
	Every        int     `yaml:"every"`
	End          int     `yaml:"end"`
	DropFraction float64 `yaml:"drop_fraction"`
}

func (r *SparseRecipe) common() *Common { return &r.Common }

func (r *SparseRecipe) check(fc *experiments.FieldCheck) {
	r.checkSeeds(fc)
	r.Training.check(fc, "training")
	checkTargets(fc, r.Targets)
	if len(r.Methods) == 0 {
		fc.Fail("methods", "is empty")
	}
	for i, m := range r.Methods {
		if m != "static" && m != "SET" && m != "RigL" {
			fc.Fail(key("methods", i), "(%q) is unknown: want static, SET or RigL", m)
		}
	}
	g := r.Regrowth
	if g.Every <= 0 {
		fc.Fail("regrowth.every", "(%d) must be positive", g.Every)
	}
	if g.End <= 0 || g.End > r.Training.Steps {
		fc.Fail("regrowth.end", "(%d) is outside [1, training.steps]", g.End)
	}
	if !(g.DropFraction > 0 && g.DropFraction <= 1) {
		fc.Fail("regrowth.drop_fraction", "(%v) is outside (0, 1]", g.DropFraction)
	}
}

// CompactRecipe is the recipe of structured pruning followed by
// compaction.
type CompactRecipe struct {
	Common   `yaml:",inline"`
	Training PruneProtocol `yaml:"training"`
	// Target is the fraction of each hidden layer's units pruned.
	Target float64 `yaml:"target"`
	// TimingBatches are the batch sizes of the inference-time
	// measurement.
	TimingBatches []int `yaml:"timing_batches,flow"`
}

func (r *CompactRecipe) common() *Common { return &r.Common }

func (r *CompactRecipe) check(fc *experiments.FieldCheck) {
	r.checkSeeds(fc)
	r.Training.check(fc, "training")
	checkUnit(fc, "target", r.Target)
	for i, b := range r.TimingBatches {
		if b <= 0 {
			fc.Fail(key("timing_batches", i), "(%d) must be positive", b)
		}
	}
}

// checkTargets requires a non-empty list of sparsities in [0, 1).
func checkTargets(fc *experiments.FieldCheck, targets []float64) {
	if len(targets) == 0 {
		fc.Fail("targets", "is empty")
	}
	for i, t := range targets {
		checkUnit(fc, key("targets", i), t)
	}
}
