package experiments

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/stat"
)

// group collects the runs that differ only in their seed: the same
// recipe hash (so the same recipe and sweep point) and variant.
type group struct {
	label string
	key   string
	runs  [][]Record // one slice per seed, ordered by step
}

// termNames lists the penalty terms recorded in the group's first run.
func (g *group) termNames() []string {
	var names []string
	for _, t := range g.runs[0][0].Terms {
		names = append(names, t.Name)
	}
	return names
}

// groupRecords sorts records into groups and runs. Groups keep the order
// in which their first record appears; runs within a group are ordered
// by seed. A record that repeats a run's step (the same run merged
// twice) replaces the earlier one.
func groupRecords(records []Record) []*group {
	var groups []*group
	byKey := map[string]*group{}
	runs := map[string]map[int]Record{}
	var runOrder []string
	for _, r := range records {
		key := r.RecipeHash + "/" + r.Variant
		if _, ok := byKey[key]; !ok {
			g := &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		id := key + "/" + fmt.Sprint(r.Seed)
		if runs[id] == nil {
			runs[id] = map[int]Record{}
			runOrder = append(runOrder, id)
		}
		runs[id][r.Step] = r
	}
	sort.SliceStable(runOrder, func(i, j int) bool { return runOrder[i] < runOrder[j] })
	for _, id := range runOrder {
		steps := runs[id]
		run := make([]Record, 0, len(steps))
		for _, r := range steps {
			run = append(run, r)
		}
		sort.Slice(run, func(i, j int) bool { return run[i].Step < run[j].Step })
		g := byKey[run[0].RecipeHash+"/"+run[0].Variant]
		g.runs = append(g.runs, run)
	}
	// Seeds sort as numbers, not as the strings of the ids.
	for _, g := range groups {
		sort.SliceStable(g.runs, func(i, j int) bool { return g.runs[i][0].Seed < g.runs[j][0].Seed })
	}
	labelGroups(groups)
	return groups
}

// labelGroups names each group by its variant followed by the sweep
// grid values that differ between groups, so a grid axis with one value
// does not lengthen every label. A group without grid values gets its
// recipe's name in front when the groups come from several recipes.
// Labels that still collide get the recipe name and hash appended.
func labelGroups(groups []*group) {
	values := map[string]map[string]bool{} // grid key → values seen
	present := map[string]int{}            // grid key → groups that set it
	recipes := map[string]bool{}
	for _, g := range groups {
		r := g.runs[0][0]
		recipes[r.Recipe] = true
		for k, v := range r.Point {
			if values[k] == nil {
				values[k] = map[string]bool{}
			}
			values[k][v] = true
			present[k]++
		}
	}
	var varying []string
	for k := range values {
		if len(values[k]) > 1 || present[k] < len(groups) {
			varying = append(varying, k)
		}
	}
	sort.Strings(varying)

	count := map[string]int{}
	for _, g := range groups {
		r := g.runs[0][0]
		parts := []string{r.Variant}
		if len(r.Point) == 0 && len(recipes) > 1 {
			parts = []string{r.Recipe, r.Variant}
		}
		for _, k := range varying {
			if v, ok := r.Point[k]; ok {
				parts = append(parts, k+"="+v)
			}
		}
		g.label = strings.Join(parts, " ")
		count[g.label]++
	}
	for _, g := range groups {
		if count[g.label] > 1 {
			r := g.runs[0][0]
			g.label += fmt.Sprintf(" (%s, hash %s)", r.Recipe, r.RecipeHash)
		}
	}
}

// LoadRecords reads the records of run folders, sweep folders or
// metrics files. A folder is searched recursively for MetricsFile, so a
// sweep folder yields every point its shards ran.
func LoadRecords(paths []string) ([]Record, error) {
	var all []Record
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, errors.Wrap(err, "experiments")
		}
		var files []string
		if info.IsDir() {
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && d.Name() == MetricsFile {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				return nil, errors.Wrap(err, "experiments")
			}
			if len(files) == 0 {
				return nil, errors.Errorf("experiments: no %s found under %s", MetricsFile, p)
			}
		} else {
			files = []string{p}
		}
		for _, f := range files {
			recs, err := ReadRecordsFile(f)
			if err != nil {
				return nil, err
			}
			all = append(all, recs...)
		}
	}
	if len(all) == 0 {
		return nil, errors.New("experiments: no records to report")
	}
	return all, nil
}

// Phase thresholds; see Phase.
const (
	// PhaseSparsityStep is the change in sparsity between two
	// evaluations (0.005, half a percentage point) below which sparsity
	// counts as flat.
	PhaseSparsityStep = 0.005
	// PhaseLossRelative and PhaseLossAbsolute bound the rise of the
	// training loss between two evaluations that still counts as flat:
	// ΔL ≤ PhaseLossRelative·L + PhaseLossAbsolute.
	PhaseLossRelative = 0.05
	PhaseLossAbsolute = 0.01
)

// Phase labels.
const (
	Simplification = "simplification" // sparsity rising, loss flat or falling
	ForcedPruning  = "forced pruning" // sparsity rising, loss rising
	Suppression    = "suppression"    // regularization in force, sparsity flat
	Unregularized  = "unregularized"  // no regularization in force, sparsity flat
	Regrowth       = "regrowth"       // sparsity falling
)

// Phase is a maximal stretch of consecutive evaluation windows of one run
// that carry the same label. A window runs from one evaluation (step a)
// to the next (step b). With s the achieved sparsity and L the training
// loss on the whole training split:
//
//   - Simplification: s(b) − s(a) ≥ PhaseSparsityStep and
//     L(b) − L(a) ≤ PhaseLossRelative·L(a) + PhaseLossAbsolute — the
//     penalty or pruning removes weights while the fit holds;
//   - ForcedPruning: sparsity rises as above but the loss rises by more —
//     weights are removed at a cost to the fit;
//   - Regrowth: s(b) − s(a) ≤ −PhaseSparsityStep;
//   - Suppression: sparsity flat (|Δs| below PhaseSparsityStep) while
//     regularization is in force (some λ > 0 or a pruning target above
//     0, at a or at b) — the penalty holds weights back, or the masks
//     keep pruned weights at zero, but nothing new is removed;
//   - Unregularized: sparsity flat and no regularization in force.
type Phase struct {
	Label                  string
	From, To               int // steps
	SparsityFrom           float64
	SparsityTo             float64
	LossFrom, LossTo       float64
	AccuracyFrom, Accuracy float64
}

// Phases splits one run's records (ordered by step) into phases.
func Phases(run []Record) []Phase {
	var out []Phase
	for i := 1; i < len(run); i++ {
		a, b := &run[i-1], &run[i]
		label := windowLabel(a, b)
		if n := len(out); n > 0 && out[n-1].Label == label {
			p := &out[n-1]
			p.To, p.SparsityTo, p.LossTo, p.Accuracy = b.Step, b.Sparsity, b.TrainLoss, b.TestAccuracy
			continue
		}
		out = append(out, Phase{
			Label: label, From: a.Step, To: b.Step,
			SparsityFrom: a.Sparsity, SparsityTo: b.Sparsity,
			LossFrom: a.TrainLoss, LossTo: b.TrainLoss,
			AccuracyFrom: a.TestAccuracy, Accuracy: b.TestAccuracy,
		})
	}
	return out
}

func windowLabel(a, b *Record) string {
	ds := b.Sparsity - a.Sparsity
	dl := b.TrainLoss - a.TrainLoss
	switch {
	case ds >= PhaseSparsityStep && dl <= PhaseLossRelative*math.Abs(a.TrainLoss)+PhaseLossAbsolute:
		return Simplification
	case ds >= PhaseSparsityStep:
		return ForcedPruning
	case ds <= -PhaseSparsityStep:
		return Regrowth
	case regularized(a) || regularized(b):
		return Suppression
	}
	return Unregularized
}

// regularized reports whether some λ in r is above 0 or r's pruning
// target is above 0.
func regularized(r *Record) bool {
	for _, t := range r.Terms {
		if t.Lambda > 0 {
			return true
		}
	}
	return r.TargetSparsity > 0
}

// boundaries returns the steps where phases start and end, in order.
func boundaries(phases []Phase) []int {
	var steps []int
	for i, p := range phases {
		if i == 0 {
			steps = append(steps, p.From)
		}
		steps = append(steps, p.To)
	}
	return steps
}

// MeanSD returns the mean and the sample standard deviation (divided by
// n−1) of xs, with the deviation 0 for a single value. It returns NaN
// for both when xs is empty.
func MeanSD(xs []float64) (mean, sd float64) {
	switch len(xs) {
	case 0:
		return math.NaN(), math.NaN()
	case 1:
		return xs[0], 0
	}
	return stat.MeanStdDev(xs, nil)
}
