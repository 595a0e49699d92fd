package experiments

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func tiny(t *testing.T) *Recipe {
	t.Helper()
	r, err := ParseRecipe("tiny.yaml", []byte(tinyRecipe))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunShort(t *testing.T) {
	r := tiny(t)
	dir := filepath.Join(t.TempDir(), "tiny")
	var events, evals int
	res, err := Run(context.Background(), r, dir, RunOptions{
		Commit: "abc123",
		Progress: func(e Event) {
			events++
			if e.Record != nil {
				evals++
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{RecipeFile, MetricsFile, SummaryFile, PlotFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
	recs, err := ReadRecordsFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Two variants evaluated at steps 0, 10 and 20.
	if len(recs) != 6 || evals != 6 {
		t.Fatalf("%d records and %d evaluation events, want 6", len(recs), evals)
	}
	var steps []int
	for _, rec := range recs {
		steps = append(steps, rec.Step)
		if rec.RecipeHash != r.Hash() || rec.Commit != "abc123" || rec.Recipe != "tiny" {
			t.Errorf("record %s step %d: hash %s, commit %s", rec.Run, rec.Step, rec.RecipeHash, rec.Commit)
		}
	}
	if want := []int{0, 10, 20, 0, 10, 20}; !reflect.DeepEqual(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}

	if len(res.Summaries) != 2 || res.Summaries[0].Variant != "dense" ||
		res.Summaries[1].Variant != "sparse" {
		t.Fatalf("summaries %+v, want dense then sparse", res.Summaries)
	}
	dense, sparse := res.Summaries[0], res.Summaries[1]
	if dense.Sparsity != 0 || len(dense.Checks) != 0 {
		t.Errorf("dense run: sparsity %v with %d zero checks, want 0 and none",
			dense.Sparsity, len(dense.Checks))
	}
	// Target 0.5 on 64×16 and 16×10 matrices: round(0.5·n) zeros each.
	wantZeros := map[string]int{"w0": 512, "w1": 80}
	if len(sparse.Checks) != 2 {
		t.Fatalf("%d zero checks, want 2", len(sparse.Checks))
	}
	for _, c := range sparse.Checks {
		if c.Want != wantZeros[c.Layer] || c.Zeros != c.Want {
			t.Errorf("%s: %d zeros, check wants %d, expected %d", c.Layer, c.Zeros, c.Want,
				wantZeros[c.Layer])
		}
	}
	if sparse.Sparsity != 0.5 {
		t.Errorf("sparse run: sparsity %v, want 0.5", sparse.Sparsity)
	}
	// Both runs start from the same weights: step-0 records agree.
	if recs[0].TestAccuracy != recs[3].TestAccuracy || recs[0].TrainLoss != recs[3].TrainLoss {
		t.Errorf("step 0 differs between variants: %v/%v and %v/%v", recs[0].TrainLoss,
			recs[0].TestAccuracy, recs[3].TrainLoss, recs[3].TestAccuracy)
	}
	// Ten classes: the initial loss is near log(10).
	if math.Abs(recs[0].TrainLoss-math.Log(10)) > 0.5 {
		t.Errorf("initial loss %v, want near log 10", recs[0].TrainLoss)
	}

	// The folder's recipe reruns as the same recipe.
	data, err := os.ReadFile(filepath.Join(dir, RecipeFile))
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseRecipe(RecipeFile, data)
	if err != nil || again.Hash() != r.Hash() {
		t.Errorf("recipe.yaml parses to hash %v (error %v), want %s", again.Hash(), err, r.Hash())
	}

	if _, err := Run(context.Background(), r, dir, RunOptions{}); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Run into the same folder: error %v", err)
	}
}

func TestRunWritesNothingOnError(t *testing.T) {
	r := tiny(t)
	r.BatchSize = 5000 // more than the 1348 training examples
	dir := filepath.Join(t.TempDir(), "bad")
	if _, err := Run(context.Background(), r, dir, RunOptions{}); err == nil {
		t.Fatal("Run with a batch larger than the data returned no error")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("run folder exists after a failed Run: %v", err)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, tiny(t), filepath.Join(t.TempDir(), "x"), RunOptions{})
	if err != context.Canceled {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	in := []Record{
		{Run: "a/dense/seed1", Recipe: "a", RecipeHash: "h", Variant: "dense", Seed: 1, Step: 0,
			TrainLoss: 2.30258509299, TestAccuracy: 0.1, Point: map[string]string{"solver.lr": "0.1"},
			Layers: []LayerRecord{{Name: "w0", Size: 4, Zeros: 1, Sparsity: 0.25,
				Histogram: NewHistogram([]float64{0, 1e-5, 0.5, 20})}},
			Terms: []TermRecord{{Name: "l1", Lambda: 1e-4, Multiplier: 1, Value: 3}}},
		{Run: "a/sparse/seed1", Variant: "sparse", Seed: 1, Step: 10, Sparsity: 0.5},
	}
	var b bytes.Buffer
	w := NewRecordWriter(&b)
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(b.String(), "\n"); n != 2 {
		t.Fatalf("%d lines, want 2", n)
	}
	out, err := ReadRecords("m.jsonl", strings.NewReader(b.String()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the records:\n%+v\n%+v", in, out)
	}
	if _, err := ReadRecords("m.jsonl", strings.NewReader(b.String()+"{bad\n")); err == nil ||
		!strings.Contains(err.Error(), "m.jsonl:3") {
		t.Errorf("malformed line: error %v, want one naming m.jsonl:3", err)
	}
}

func TestHistogram(t *testing.T) {
	h := NewHistogram([]float64{0, -0, 1e-5, 1e-4, -0.5, 0.5, 10, 99})
	// Edges run from 1e-4 to 10 in ten bins a decade.
	if len(h.Edges) != 51 || len(h.Counts) != 50 {
		t.Fatalf("%d edges and %d bins, want 51 and 50", len(h.Edges), len(h.Counts))
	}
	if h.Zeros != 2 || h.Below != 1 || h.Above != 2 {
		t.Errorf("zeros %d, below %d, above %d; want 2, 1, 2", h.Zeros, h.Below, h.Above)
	}
	// 1e-4 is the first bin's lower edge; |0.5| lies in [10^-0.4, 10^-0.3), bin 36.
	if h.Counts[0] != 1 || h.Counts[36] != 2 {
		t.Errorf("bin 0 contains %d and bin 36 contains %d, want 1 and 2", h.Counts[0], h.Counts[36])
	}
}

func TestRunVariants(t *testing.T) {
	// Each case replaces the tiny recipe's pruning section.
	cases := []struct {
		name, section string
		zeros         map[string]int // expected zeros per pruned matrix at the end
		terms         int
	}{
		// Rows of the 64×16 matrix are inputs: round(0.5·64)·16 zeros.
		{"rows", "pruning:\n  sparsity: 0.5\n  end: 10\n  structure: rows\n",
			map[string]int{"w0": 512, "w1": 80}, 0},
		// Columns of the 16×10 matrix are units: round(0.5·10)·16 zeros.
		{"columns", "pruning:\n  sparsity: 0.5\n  end: 10\n  structure: columns\n",
			map[string]int{"w0": 512, "w1": 80}, 0},
		// 2:4 along the inputs: two of every four weights, half of each.
		{"nm", "pruning:\n  sparsity: 0.5\n  end: 10\n  structure: \"2:4\"\n",
			map[string]int{"w0": 512, "w1": 80}, 0},
		// Regrowth keeps the count: round(0.75·1024) and round(0.75·160).
		{"rigl", "pruning:\n  sparsity: 0.75\n  end: 5\n  regrowth: {kind: rigl, every: 4, end: 16}\n",
			map[string]int{"w0": 768, "w1": 120}, 0},
		{"l1", "penalties:\n  - term: l1\n    params: w0\n    schedule: linear(0, 1e-3, 0, 10)\n", nil, 1},
		{"adaptive", "penalties:\n  - term: l2\n    schedule: track(constant(1e-3), signal=val_acc, " +
			"target=1, kp=1, ki=0, min=0.1, max=10)\n", nil, 2},
	}
	for i, c := range cases {
		src := tinyRecipe[:strings.Index(tinyRecipe, "pruning:")] + c.section +
			tinyRecipe[strings.Index(tinyRecipe, "steps:"):]
		r, err := ParseRecipe(c.name+".yaml", []byte(src))
		if err != nil {
			t.Errorf("case %d (%s): %v", i, c.name, err)
			continue
		}
		r.Baseline = false
		res, err := Run(context.Background(), r, filepath.Join(t.TempDir(), c.name), RunOptions{})
		if err != nil {
			t.Errorf("case %d (%s): %v", i, c.name, err)
			continue
		}
		s := res.Summaries[0]
		if len(s.Checks) != len(c.zeros) {
			t.Errorf("case %d (%s): %d zero checks, want %d", i, c.name, len(s.Checks), len(c.zeros))
		}
		for _, z := range s.Checks {
			if z.Zeros != c.zeros[z.Layer] || z.Want != c.zeros[z.Layer] {
				t.Errorf("case %d (%s): %s contains %d zeros and its check expects %d, want %d for both",
					i, c.name, z.Layer, z.Zeros, z.Want, c.zeros[z.Layer])
			}
		}
		if got := len(s.Final.Terms); got != c.terms {
			t.Errorf("case %d (%s): %d terms recorded, want %d", i, c.name, got, c.terms)
		}
		if c.name != "adaptive" {
			continue
		}
		// Accuracy stays below the target 1, so the policy raises m
		// above its initial 1 and records that in decisions.
		recs, err := ReadRecordsFile(filepath.Join(res.Dir, MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		last := recs[len(recs)-1]
		if m := last.Terms[0].Multiplier; !(m > 1) || last.Terms[0].Lambda != 1e-3*m {
			t.Errorf("adaptive: multiplier %v and λ %v, want m > 1 and λ = 1e-3·m",
				m, last.Terms[0].Lambda)
		}
		if len(last.Decisions) == 0 || last.Decisions[0].Signal != "val_acc" {
			t.Errorf("adaptive: decisions %+v, want moves on val_acc", last.Decisions)
		}
		_, md := writeTestReport(t, recs, ReportOptions{})
		d := last.Decisions[0]
		if d.Owner != last.Terms[0].Name {
			t.Errorf("adaptive: decision owner %q, want the term %q", d.Owner, last.Terms[0].Name)
		}
		row := fmt.Sprintf("| %d | %s | track | val_acc |", d.Step, d.Owner)
		if !strings.Contains(md, row) {
			t.Errorf("adaptive: report lacks the decision row %q", row)
		}
	}
}

func TestCommitFromGit(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not inside a git checkout:", err)
	}
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		t.Fatal(err)
	}
	// Test binaries carry no vcs build settings, so Commit falls back to git.
	want := strings.TrimSpace(string(head))
	if len(bytes.TrimSpace(status)) > 0 {
		want += "+dirty"
	}
	if got := Commit(); got != want {
		t.Errorf("Commit() = %q, want %q", got, want)
	}
}
