package experiments

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// syntheticRun returns the records of one run with a penalty whose λ is
// lambda at every evaluation and the given training losses, one record
// per loss, ten steps apart.
func syntheticRun(lambda float64, losses []float64) []Record {
	var recs []Record
	for i, loss := range losses {
		recs = append(recs, Record{
			Run: "synthetic/sparse/seed1", Recipe: "synthetic", RecipeHash: "abc",
			Variant: "sparse", Seed: 1, Step: 10 * i, TrainLoss: loss,
			TestAccuracy: 0.5, Sparsity: 0.1 * float64(i%3), Params: 10, NonZero: 9,
			Layers: []LayerRecord{{Name: "w0", Size: 10, Zeros: 1, Sparsity: 0.1,
				Histogram: NewHistogram([]float64{0, 0.1, 1, 3})}},
			Terms: []TermRecord{{Name: "l1/w0", Lambda: lambda, Multiplier: 1}},
		})
	}
	return recs
}

func TestReportExtremeValues(t *testing.T) {
	cases := []struct {
		name   string
		lambda float64
		losses []float64
	}{
		{"constant lambda 1e17", 1e17, []float64{1, 0.5, 0.2}},
		{"lambda 1e300", 1e300, []float64{1, 0.5, 0.2}},
		{"lambda 0", 0, []float64{1, 0.5, 0.2}},
		{"zero loss", 0.1, []float64{1, 0, 0.2}},
		{"negative loss", 0.1, []float64{-1, -2, 0.5}},
		{"missing loss", 0.1, []float64{0, 0, 0}},
		{"constant loss", 0.1, []float64{3, 3, 3}},
		{"huge loss", 0.1, []float64{1e300, 1e-300, 1}},
		{"one record", 0.1, []float64{1}},
		{"lambda max float", math.MaxFloat64, []float64{math.MaxFloat64, 1, -math.MaxFloat64}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "report")
			if err := WriteReport(dir, syntheticRun(c.lambda, c.losses), ReportOptions{}); err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			for _, f := range []string{ReportFile, "lambda.svg", "g1-phases.svg"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("case %d: %v", i, err)
				}
			}
		})
	}
}

func TestReportMeanOverflow(t *testing.T) {
	// The mean over two seeds of the largest float64 overflows to +Inf.
	recs := syntheticRun(math.MaxFloat64, []float64{1, 2})
	second := syntheticRun(math.MaxFloat64, []float64{1, 2})
	for i := range second {
		second[i].Seed = 2
		second[i].GradNorm = math.MaxFloat64
		recs[i].GradNorm = math.MaxFloat64
	}
	recs = append(recs, second...)
	if err := WriteReport(filepath.Join(t.TempDir(), "report"), recs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestReportFailureLeavesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	// A folder in the place of a plot makes moving that plot fail.
	if err := os.MkdirAll(filepath.Join(dir, "lambda.svg", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(dir, syntheticRun(1, []float64{1, 0.5}), ReportOptions{}); err == nil {
		t.Fatal("WriteReport returned no error")
	}
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); err == nil {
		t.Errorf("%s was written although a plot was not", ReportFile)
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("parent contains %d entries, want only the report folder (temporary folder left?)",
			len(entries))
	}
}

func TestReportIntoFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteReport(file, syntheticRun(1, []float64{1, 0.5}), ReportOptions{})
	if err == nil || !strings.Contains(err.Error(), "is not a folder") {
		t.Errorf("error %v, want one saying the path is not a folder", err)
	}
}

func TestReadRecordsRejectsInvalid(t *testing.T) {
	cases := []struct {
		line, want string
	}{
		{`{"step": -1}`, "step (-1) is negative"},
		{`{"step": 1, "sparsity": 1.5}`, "sparsity (1.5) is outside [0, 1]"},
		{`{"step": 1, "test_accuracy": -0.1}`, "test_accuracy (-0.1) is outside [0, 1]"},
		{`{"step": 1, "params": -3}`, "params (-3) is negative"},
		{`{"step": 1, "layers": [{"name": "w", "size": 2, "zeros": 3}]}`, "zeros (3) must be in [0, size (2)]"},
		{`{"step": 1, "layers": [{"name": "w", "size": 2, "histogram": {"edges": [1], "counts": [1, 2]}}]}`,
			"histogram has 2 counts but 1 edges"},
		{`{"step": 1, "layers": [{"name": "w", "size": 2, "histogram": {"edges": [0, 1], "counts": [1]}}]}`,
			"histogram edge 0 is not positive"},
	}
	for i, c := range cases {
		_, err := ReadRecords("m.jsonl", strings.NewReader("{\"step\": 0}\n"+c.line+"\n"))
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m.jsonl:2") {
			t.Errorf("case %d: error %q, want it to contain %q and line m.jsonl:2", i, err, c.want)
		}
	}
}
