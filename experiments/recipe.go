package experiments

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"go.yaml.in/yaml/v3"
)

// DefaultRecipeYAML is the built-in recipe that `regsched run` runs
// without arguments: an MLP on the handwritten digits, trained dense and
// then with cubic gradual magnitude pruning to 90% sparsity.
//
//go:embed recipes/default.yaml
var DefaultRecipeYAML []byte

// ReproRecipes contains the recipes of the paper-style reproductions,
// one file recipes/repro/NAME.yaml per reproduction, which package repro
// parses and runs. They are embedded here because go:embed reads only
// files under the embedding package's folder.
//
//go:embed recipes/repro/*.yaml
var ReproRecipes embed.FS

// Recipe describes an experiment: the data, the model, the solver, the
// penalties and pruning, and how long and how often to evaluate. Its
// YAML keys are the snake_case names in the field tags. Every run of a
// recipe records its Hash, so a result can be traced to the exact recipe.
type Recipe struct {
	// Name is the run folder's name: letters, digits, '-', '_' and '.'.
	Name string `yaml:"name"`
	// Data chooses the data set and its split.
	Data Data `yaml:"data"`
	// Model sets the network's shape.
	Model Model `yaml:"model"`
	// Solver chooses the inner solver and the learning rate.
	Solver SolverSpec `yaml:"solver"`
	// Penalties are the scheduled penalty terms. Empty means none.
	Penalties []PenaltySpec `yaml:"penalties,omitempty"`
	// Pruning, when set, prunes weights to a sparsity schedule.
	Pruning *PruningSpec `yaml:"pruning,omitempty"`
	// Baseline also trains a dense run without penalties and pruning,
	// from the same initial weights and batch order, for comparison.
	Baseline bool `yaml:"baseline"`
	// Steps is the number of optimizer steps (minibatches) per run.
	Steps int `yaml:"steps"`
	// BatchSize is the number of examples in one minibatch.
	BatchSize int `yaml:"batch_size"`
	// EvalEvery is the evaluation cadence in steps. Every run is also
	// evaluated before its first step and after its last.
	EvalEvery int `yaml:"eval_every"`
	// Seeds are the seeds of the weight initialisation and the batch
	// order. Each seed is a separate run, and reports show the mean and
	// spread over seeds.
	Seeds []uint64 `yaml:"seeds,flow"`
}

// Data chooses a data set and its train/test split.
type Data struct {
	// Set is one of "digits", "breast_cancer" or "fashion_mnist".
	Set string `yaml:"set"`
	// Path is the folder containing the Fashion-MNIST IDX files. The
	// other sets are built in and take no path.
	Path string `yaml:"path,omitempty"`
	// TestFraction is the share of examples held out for testing, in
	// (0, 1). Fashion-MNIST has a published split and ignores it.
	TestFraction float64 `yaml:"test_fraction,omitempty"`
	// SplitSeed fixes the shuffle of the split, independent of Seeds.
	SplitSeed uint64 `yaml:"split_seed"`
}

// Model is the shape of the multilayer perceptron. The input and output
// sizes come from the data set.
type Model struct {
	// Hidden lists the hidden layer widths, input side first.
	Hidden []int `yaml:"hidden,flow"`
}

// SolverSpec chooses the inner solver that the regsched solver wraps.
type SolverSpec struct {
	// Name is one of "sgd", "momentum", "adam", "adamw" or "rmsprop".
	Name string `yaml:"name"`
	// LR is the learning rate η.
	LR float64 `yaml:"lr"`
	// LRSchedule, when set, is a schedule spec for η(t) (for example
	// "cosine(0.01, 0.001, 0, 3000)"), which replaces LR.
	LRSchedule string `yaml:"lr_schedule,omitempty"`
	// Momentum is the momentum of "momentum" (default 0.9).
	Momentum float64 `yaml:"momentum,omitempty"`
	// Beta1 and Beta2 are Adam's moment decay rates (defaults 0.9 and
	// 0.999).
	Beta1 float64 `yaml:"beta1,omitempty"`
	Beta2 float64 `yaml:"beta2,omitempty"`
	// Epsilon is Adam's and RMSProp's denominator guard (default 1e-8).
	Epsilon float64 `yaml:"epsilon,omitempty"`
	// WeightDecay is AdamW's decoupled weight decay (default 0.01).
	WeightDecay float64 `yaml:"weight_decay,omitempty"`
	// Clip, when positive, clips each gradient entry to [−Clip, Clip].
	Clip float64 `yaml:"clip,omitempty"`
}

// PenaltySpec is one scheduled penalty λ(t)·R(w) on a group of weights.
type PenaltySpec struct {
	// Params chooses the weights: "weights" (every weight matrix, the
	// default), "biases", "all", or one layer's matrix as "w0", "w1", ….
	Params string `yaml:"params,omitempty"`
	// Term is the base term R: "l1" (‖w‖₁), "l2" (½‖w‖²₂),
	// "elastic_net", "group_lasso" or "log_sum".
	Term string `yaml:"term"`
	// L1Ratio is elastic net's share of ‖w‖₁, in [0, 1].
	L1Ratio float64 `yaml:"l1_ratio,omitempty"`
	// Axis is the axis group lasso's norm runs along: 1 makes each row of
	// a weight matrix (every weight leaving one input) a group, 0 each
	// column (every weight entering one unit).
	Axis int `yaml:"axis,omitempty"`
	// Eps is log_sum's scale in Σ log(1 + |w|/Eps). It must be positive.
	Eps float64 `yaml:"eps,omitempty"`
	// Schedule is λ(t) in the schedule spec form, for example
	// "linear(0, 1e-4, 0, 1000)".
	Schedule string `yaml:"schedule"`
	// Mode is "auto" (the default), "gradient" or "proximal".
	Mode string `yaml:"mode,omitempty"`
}

// PruningSpec prunes weights to a sparsity schedule. The schedule is
// either Schedule, a spec, or — when Schedule is empty — Zhu and Gupta's
// gradual pruning every(Every, poly(0, Sparsity, Start, End, Power)).
type PruningSpec struct {
	// Params chooses the weights, as in PenaltySpec (default "weights").
	Params string `yaml:"params,omitempty"`
	// Criterion is "magnitude" (the default), "random", "movement" or
	// "taylor".
	Criterion string `yaml:"criterion,omitempty"`
	// Structure is the unit that is pruned as a whole: "unstructured" (the
	// default), "rows", "columns", "blocks:RxC" (for example
	// "blocks:4x4") or "N:M" (keep N of every M weights along the input
	// axis, for example "2:4").
	Structure string `yaml:"structure,omitempty"`
	// Regrowth, when set, adds drop-and-grow regrowth to unstructured
	// pruning.
	Regrowth *RegrowthSpec `yaml:"regrowth,omitempty"`
	// Sparsity is the final share of pruned weights in each matrix, in
	// [0, 1). With Schedule set it must equal the schedule's final value.
	Sparsity float64 `yaml:"sparsity,omitempty"`
	// Start and End are the steps where the sparsity ramp starts and
	// ends. Every is the number of steps between mask updates (default
	// 1), and Power is the ramp's exponent (default 3, the cubic
	// schedule).
	Start int     `yaml:"start,omitempty"`
	End   int     `yaml:"end,omitempty"`
	Every int     `yaml:"every,omitempty"`
	Power float64 `yaml:"power,omitempty"`
	// Schedule, when set, is the sparsity schedule spec and replaces
	// Start, End, Every and Power.
	Schedule string `yaml:"schedule,omitempty"`
}

// RegrowthSpec is drop-and-grow regrowth: every Every steps before End,
// each pruned matrix drops the share DropFraction·(1+cos(π·t/End))/2 of
// its kept weights with the smallest |w| and grows as many pruned ones:
// at random for "set" (Mocanu et al. 2018) or by largest gradient
// magnitude for "rigl" (Evci et al. 2020).
type RegrowthSpec struct {
	Kind         string  `yaml:"kind"`                    // "set" or "rigl"
	Every        int     `yaml:"every,omitempty"`         // default 100
	End          int     `yaml:"end"`                     // required
	DropFraction float64 `yaml:"drop_fraction,omitempty"` // default 0.3
}

// ParseRecipe reads a YAML recipe, fills in defaults and validates it.
// name is used in error messages (usually the file name). An unknown key
// and an invalid value are errors that give the line number, for
// example "recipe.yaml:7: unknown key "lr_shedule" in solver".
func ParseRecipe(name string, data []byte) (*Recipe, error) {
	if len(data) > MaxRecipeBytes {
		return nil, errors.Errorf("experiments: %s: recipe of %d bytes is larger than the "+
			"limit of %d bytes (1 MiB)", name, len(data), MaxRecipeBytes)
	}
	r, pos, err := decodeRecipe(name, data)
	if err != nil {
		return nil, err
	}
	if err := r.validate(name, pos); err != nil {
		return nil, err
	}
	return r, nil
}

// DefaultRecipe returns the built-in recipe (DefaultRecipeYAML) parsed.
func DefaultRecipe() (*Recipe, error) {
	return ParseRecipe("default.yaml", DefaultRecipeYAML)
}

// decodeRecipe decodes data strictly into a Recipe with defaults filled
// in and returns the line of every key.
func decodeRecipe(name string, data []byte) (*Recipe, KeyLines, error) {
	r := new(Recipe)
	lines, err := DecodeStrict(name, data, r, sections)
	if err != nil {
		return nil, nil, errors.WithMessage(err, "experiments")
	}
	r.setDefaults(lines)
	return r, lines, nil
}

// sections names the recipe section that each Go type decodes.
var sections = map[string]string{
	"Recipe": "the recipe", "Data": "data", "Model": "model", "SolverSpec": "solver",
	"PenaltySpec": "a penalty", "PruningSpec": "pruning", "RegrowthSpec": "pruning.regrowth",
}

// setDefaults fills every optional field whose key the document lacks.
// A key written with 0 keeps 0, which validation then accepts or rejects.
func (r *Recipe) setDefaults(lines KeyLines) {
	absent := func(path string) bool {
		_, ok := lines[path]
		return !ok
	}
	if absent("data.test_fraction") {
		r.Data.TestFraction = 0.25
	}
	s := &r.Solver
	if s.Name == "momentum" && absent("solver.momentum") {
		s.Momentum = 0.9
	}
	if s.Name == "adamw" && absent("solver.weight_decay") {
		s.WeightDecay = 0.01
	}
	if s.Name == "adam" || s.Name == "adamw" {
		if absent("solver.beta1") {
			s.Beta1 = 0.9
		}
		if absent("solver.beta2") {
			s.Beta2 = 0.999
		}
	}
	if (s.Name == "adam" || s.Name == "adamw" || s.Name == "rmsprop") && absent("solver.epsilon") {
		s.Epsilon = 1e-8
	}
	for i := range r.Penalties {
		p := &r.Penalties[i]
		if p.Params == "" {
			p.Params = "weights"
		}
		if p.Mode == "" {
			p.Mode = "auto"
		}
	}
	if p := r.Pruning; p != nil {
		if p.Params == "" {
			p.Params = "weights"
		}
		if p.Criterion == "" {
			p.Criterion = "magnitude"
		}
		if p.Structure == "" {
			p.Structure = "unstructured"
		}
		if g := p.Regrowth; g != nil {
			if absent("pruning.regrowth.every") {
				g.Every = 100
			}
			if absent("pruning.regrowth.drop_fraction") {
				g.DropFraction = 0.3
			}
		}
		if p.Schedule == "" {
			if absent("pruning.every") {
				p.Every = 1
			}
			if absent("pruning.power") {
				p.Power = 3
			}
		}
	}
}

// Encode writes the recipe as YAML, with its defaults filled in, in the
// form ParseRecipe reads.
func (r *Recipe) Encode(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(r); err != nil {
		return errors.Wrap(err, "experiments: Recipe.Encode")
	}
	return errors.Wrap(enc.Close(), "experiments: Recipe.Encode")
}

// Hash returns the first 16 hex digits of the SHA-256 of the recipe's
// YAML encoding (see Encode), so two recipes that run alike hash alike
// whatever their comments, key order or spelled-out defaults.
func (r *Recipe) Hash() string {
	var b bytes.Buffer
	if err := r.Encode(&b); err != nil {
		// Encoding a Recipe into a bytes.Buffer does not fail, because a
		// Recipe contains only strings, numbers, lists and structs. An
		// error here is a bug.
		panic(err)
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:8])
}

// PruningSchedule returns the spec of the sparsity schedule: Schedule
// when set, or every(Every, poly(0, Sparsity, Start, End, Power)).
func (p *PruningSpec) PruningSchedule() string {
	if p.Schedule != "" {
		return p.Schedule
	}
	return fmt.Sprintf("every(%d, poly(0, %s, %d, %d, %s))", p.Every,
		formatFloat(p.Sparsity), p.Start, p.End, formatFloat(p.Power))
}

// formatFloat writes v in the shortest form that parses back to v.
func formatFloat(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// MarshalYAML encodes the solver settings, writing the settings that the
// chosen solver reads even when they are 0. Omitting them, as omitempty
// would, makes ParseRecipe fill in their defaults when it reads the
// recipe back, so the recipe as run would change and its Hash with it.
func (s SolverSpec) MarshalYAML() (any, error) {
	type plain SolverSpec // the same fields without this method
	var n yaml.Node
	if err := n.Encode(plain(s)); err != nil {
		return nil, err
	}
	read := map[string]float64{}
	switch s.Name {
	case "momentum":
		read["momentum"] = s.Momentum
	case "adam", "adamw":
		read["beta1"], read["beta2"], read["epsilon"] = s.Beta1, s.Beta2, s.Epsilon
		if s.Name == "adamw" {
			read["weight_decay"] = s.WeightDecay
		}
	case "rmsprop":
		read["epsilon"] = s.Epsilon
	}
	for _, key := range []string{"momentum", "beta1", "beta2", "epsilon", "weight_decay"} {
		v, ok := read[key]
		if !ok || v != 0 {
			continue
		}
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "0"})
	}
	return &n, nil
}
