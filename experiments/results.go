package experiments

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/schedules"
)

// Record is one evaluation of one run: a line of metrics.jsonl. Losses
// are mean softmax cross-entropy in nats, accuracies and sparsities are
// fractions in [0, 1], steps count optimizer steps (Step 0 is before the
// first one), and times are wall-clock seconds since the run started.
type Record struct {
	Run        string            `json:"run"`            // "<recipe>/<variant>/seed<k>"
	Recipe     string            `json:"recipe"`         // the recipe's name
	RecipeHash string            `json:"recipe_hash"`    // Recipe.Hash of the recipe as run
	Variant    string            `json:"variant"`        // "dense" or "sparse"
	Seed       uint64            `json:"seed"`           // initialisation and batch-order seed
	Commit     string            `json:"commit"`         // source revision, "" when unknown
	Point      map[string]string `json:"point,omitzero"` // sweep grid values of this run
	Step       int               `json:"step"`
	Time       float64           `json:"time_s"`

	TrainLoss     float64 `json:"train_loss"` // on the whole training split, data term only
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	LearnRate     float64 `json:"learn_rate"`

	// Sparsity is the share of exact zeros over the pruned (or
	// penalised) weight matrices, or over all weight matrices when none
	// is. TargetSparsity is the pruning schedule's value over the same
	// weights (0 without pruning).
	Sparsity       float64 `json:"sparsity"`
	TargetSparsity float64 `json:"target_sparsity"`
	NonZero        int     `json:"nonzero"` // non-zero parameters, biases included
	Params         int     `json:"params"`  // all parameters

	GradNorm    float64 `json:"grad_norm"`    // L2 norm of all weight gradients, last step
	MaskFlips   int     `json:"mask_flips"`   // mask entries changed since the previous evaluation
	MaskUpdates int     `json:"mask_updates"` // steps that updated masks since then

	Layers    []LayerRecord        `json:"layers"`
	Terms     []TermRecord         `json:"terms,omitzero"`
	Decisions []schedules.Decision `json:"decisions,omitzero"` // since the previous evaluation
}

// LayerRecord is one parameter's metrics at an evaluation.
type LayerRecord struct {
	Name           string    `json:"name"`
	Size           int       `json:"size"`
	Zeros          int       `json:"zeros"`
	Sparsity       float64   `json:"sparsity"`
	TargetSparsity float64   `json:"target_sparsity"` // 0 when not pruned
	Pruned         bool      `json:"pruned"`
	WeightNorm     float64   `json:"weight_norm"` // L2
	GradNorm       float64   `json:"grad_norm"`   // L2 of the masked gradient, last step
	MaskFlips      int       `json:"mask_flips"`  // since the previous evaluation
	Histogram      Histogram `json:"histogram"`
}

// TermRecord is one penalty's state at an evaluation.
type TermRecord struct {
	Name       string  `json:"name"`
	Lambda     float64 `json:"lambda"`     // λ used by the last step; λ(0) at step 0
	Multiplier float64 `json:"multiplier"` // adaptive multiplier m; 1 for a fixed schedule
	Value      float64 `json:"value"`      // R(w) at the evaluation
}

// Histogram counts |w| of one weight matrix in logarithmic bins. Zeros
// counts the exact zeros, Counts[i] the values in [Edges[i], Edges[i+1]),
// Below those under Edges[0] and Above those at or over the last edge.
type Histogram struct {
	Zeros  int       `json:"zeros"`
	Below  int       `json:"below"`
	Above  int       `json:"above"`
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// histogramEdges are the bin edges of every Histogram: ten bins per
// decade of |w| from 1e-4 to 10.
var histogramEdges = func() []float64 {
	var e []float64
	for k := -40; k <= 10; k++ {
		e = append(e, math.Pow(10, float64(k)/10))
	}
	return e
}()

// NewHistogram counts the magnitudes of w in the standard bins.
func NewHistogram(w []float64) Histogram {
	h := Histogram{Edges: histogramEdges, Counts: make([]int, len(histogramEdges)-1)}
	for _, v := range w {
		a := math.Abs(v)
		switch {
		case a == 0:
			h.Zeros++
		case a < h.Edges[0]:
			h.Below++
		case a >= h.Edges[len(h.Edges)-1]:
			h.Above++
		default:
			// Binary search for the last edge at or below a.
			lo, hi := 0, len(h.Edges)-1
			for hi-lo > 1 {
				mid := (lo + hi) / 2
				if h.Edges[mid] <= a {
					lo = mid
				} else {
					hi = mid
				}
			}
			h.Counts[lo]++
		}
	}
	return h
}

// RecordWriter writes Records as JSON Lines, one record a line.
type RecordWriter struct {
	enc *json.Encoder
}

// NewRecordWriter returns a RecordWriter that writes to w.
func NewRecordWriter(w io.Writer) *RecordWriter { return &RecordWriter{enc: json.NewEncoder(w)} }

// Write appends one record.
func (w *RecordWriter) Write(r *Record) error {
	return errors.Wrap(w.enc.Encode(r), "experiments: RecordWriter.Write")
}

// ReadRecords reads every Record from JSON Lines. Blank lines are
// skipped. A malformed line is an error giving its line number, and so
// is a record with a value no run writes, such as a negative step or
// count or a fraction outside [0, 1].
func ReadRecords(name string, r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []Record
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var rec Record
		if err := json.Unmarshal([]byte(text), &rec); err != nil {
			return nil, errors.Wrapf(err, "experiments: %s:%d", name, line)
		}
		if err := checkRecord(&rec); err != nil {
			return nil, errors.Wrapf(err, "experiments: %s:%d: invalid record", name, line)
		}
		out = append(out, rec)
	}
	return out, errors.Wrapf(sc.Err(), "experiments: %s", name)
}

// ReadRecordsFile reads a metrics.jsonl file with ReadRecords.
func ReadRecordsFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "experiments")
	}
	defer f.Close()
	return ReadRecords(path, f)
}

// Commit returns the source revision the binary was built from: the
// vcs.revision build setting (with "+dirty" when vcs.modified is true),
// else `git rev-parse HEAD` in the working directory (with "+dirty" when
// `git status` lists changed tracked files), else "". It returns no error,
// so an unknown revision is "".
//
// NOTE: the git fallback reads the repository of the working directory,
// which is the source only when the command runs inside its checkout,
// as `go run ./cmd/regsched` does.
func Commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if modified == "true" {
				rev += "+dirty"
			}
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if changed, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil &&
		len(bytes.TrimSpace(changed)) > 0 {
		rev += "+dirty"
	}
	return rev
}
