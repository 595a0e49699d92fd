package experiments

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readRecordsNoTime reads a run folder's records with their wall times
// cleared, which differ between any two runs.
func readRecordsNoTime(t *testing.T, dir string) []Record {
	t.Helper()
	recs, err := ReadRecordsFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		recs[i].Time = 0
	}
	return recs
}

// referenceRun runs the tiny recipe for 40 steps without interruption
// into a new temporary folder base and returns the recipe, base and the
// run's records without wall times.
func referenceRun(t *testing.T) (*Recipe, string, []Record) {
	t.Helper()
	r := tiny(t)
	r.Steps = 40
	base := t.TempDir()
	ref := filepath.Join(base, "ref")
	if _, err := Run(context.Background(), r, ref, RunOptions{Commit: "abc"}); err != nil {
		t.Fatal(err)
	}
	return r, base, readRecordsNoTime(t, ref)
}

// interrupted runs r into dir with checkpoints every 10 steps and cancels
// it when the run named stop reaches step at.
func interrupted(t *testing.T, r *Recipe, dir, stop string, at int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, r, dir, RunOptions{Commit: "abc", CheckpointEvery: 10,
		Progress: func(e Event) {
			if e.Run == stop && e.Step == at {
				cancel()
			}
		}})
	if err != context.Canceled {
		t.Fatalf("interrupted Run: error %v, want context.Canceled", err)
	}
}

func TestResumeMatchesUninterruptedRun(t *testing.T) {
	r, base, want := referenceRun(t)

	// Stopped inside the first run, between checkpoints of the second,
	// and right after a checkpoint.
	stops := []struct {
		run string
		at  int
	}{{"dense/seed1", 5}, {"sparse/seed1", 25}, {"sparse/seed1", 30}}
	for i, stop := range stops {
		dir := filepath.Join(base, "resumed", string(rune('a'+i)))
		interrupted(t, r, dir, stop.run, stop.at)
		if i == 1 {
			// A run killed while writing a record leaves a partial line.
			f, err := os.OpenFile(filepath.Join(dir, MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(`{"run":"tiny/sparse/seed1","st`); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		var warnings []string
		res, err := Run(context.Background(), r, dir, RunOptions{Commit: "abc",
			CheckpointEvery: 10, Resume: true,
			Warn: func(msg string) { warnings = append(warnings, msg) }})
		if err != nil {
			t.Fatalf("case %d: resumed Run: %v", i, err)
		}
		if len(warnings) != 0 {
			t.Errorf("case %d: warnings %q with Adam, whose moments are checkpointed", i, warnings)
		}
		got := readRecordsNoTime(t, dir)
		if len(got) != len(want) {
			t.Fatalf("case %d: %d records after resume, want %d", i, len(got), len(want))
		}
		for j := range want {
			if !reflect.DeepEqual(got[j], want[j]) {
				t.Fatalf("case %d: record %d (%s step %d) differs from the uninterrupted run:\n"+
					"got  %+v\nwant %+v", i, j, want[j].Run, want[j].Step, got[j], want[j])
			}
		}
		if len(res.Summaries) != 2 || res.Summaries[1].Sparsity != 0.5 {
			t.Errorf("case %d: summaries %+v, want two, the sparse one at 0.5", i, res.Summaries)
		}
	}
}

func TestResumeWarnsForGorgoniaSolver(t *testing.T) {
	r := tiny(t)
	r.Solver.Name = "rmsprop"
	dir := filepath.Join(t.TempDir(), "rms")
	var warnings []string
	warn := func(msg string) { warnings = append(warnings, msg) }
	opts := RunOptions{CheckpointEvery: 10, Warn: warn}
	if _, err := Run(context.Background(), r, dir, opts); err != nil {
		t.Fatal(err)
	}
	opts.Resume = true
	if _, err := Run(context.Background(), r, dir, opts); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[1], "restarts them from zero") {
		t.Errorf("warnings %q, want one per Run about restarted moments", warnings)
	}
}

func TestResumeRejectsBadInput(t *testing.T) {
	r := tiny(t)
	base := t.TempDir()
	dir := filepath.Join(base, "run")
	if _, err := Run(context.Background(), r, dir, RunOptions{CheckpointEvery: 10}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, CheckpointDir, "sparse-seed1.ckpt")
	data, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	dense, err := os.ReadFile(filepath.Join(dir, CheckpointDir, "dense-seed1.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	other := tiny(t)
	other.Steps = 30

	cases := []struct {
		name    string
		recipe  *Recipe
		dir     string
		every   int
		prepare func()
		want    string
	}{
		{"interval not a multiple", r, filepath.Join(base, "x"), 15, nil, "multiple of eval_every"},
		{"other recipe", other, dir, 10, nil, "resume with the same recipe"},
		{"damaged checkpoint", r, dir, 10, func() {
			d := append([]byte(nil), data...)
			d[len(d)/2] ^= 1
			if err := os.WriteFile(ckpt, d, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "checksum mismatch"},
		{"truncated checkpoint", r, dir, 10, func() {
			if err := os.WriteFile(ckpt, data[:len(data)/3], 0o600); err != nil {
				t.Fatal(err)
			}
		}, "sparse-seed1.ckpt"},
		{"checkpoint of another run", r, dir, 10, func() {
			if err := os.WriteFile(ckpt, dense, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "checkpoint of tiny/dense/seed1 hash " + r.Hash() + ", not of tiny/sparse/seed1"},
	}
	for i, c := range cases {
		if c.prepare != nil {
			c.prepare()
		}
		_, err := Run(context.Background(), c.recipe, c.dir,
			RunOptions{CheckpointEvery: c.every, Resume: c.every != 15})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d (%s): error %v, want one mentioning %q", i, c.name, err, c.want)
		}
		// A rejected resume leaves the records as they were.
		got, err := os.ReadFile(filepath.Join(dir, MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(metrics) {
			t.Errorf("case %d (%s): %s changed", i, c.name, MetricsFile)
		}
	}
}

func TestResumeWithoutMetricsRejected(t *testing.T) {
	r := tiny(t)
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Run(context.Background(), r, dir, RunOptions{CheckpointEvery: 10}); err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(dir, MetricsFile)
	if err := os.Remove(metrics); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), r, dir, RunOptions{CheckpointEvery: 10, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "has no record of") {
		t.Errorf("error %v, want one saying the records are missing", err)
	}
	if _, err := os.Stat(metrics); !os.IsNotExist(err) {
		t.Errorf("%s was created by a rejected resume: %v", MetricsFile, err)
	}
}

// snapshot copies the files of run folder dir, as they are on disk, to
// a new folder, which is what a killed process leaves behind.
func snapshot(t *testing.T, dir, to string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestResumeAfterKill(t *testing.T) {
	r, base, want := referenceRun(t)

	// The copy taken at step 25, between the checkpoints at 20 and 30,
	// contains only what had reached the disk by then.
	dir, killed := filepath.Join(base, "run"), filepath.Join(base, "killed")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, r, dir, RunOptions{Commit: "abc", CheckpointEvery: 10,
		Progress: func(e Event) {
			if e.Run == "sparse/seed1" && e.Step == 25 && e.Record == nil {
				snapshot(t, dir, killed)
				cancel()
			}
		}})
	if err != context.Canceled {
		t.Fatalf("interrupted Run: error %v, want context.Canceled", err)
	}
	if _, err := Run(context.Background(), r, killed, RunOptions{Commit: "abc",
		CheckpointEvery: 10, Resume: true}); err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	got := readRecordsNoTime(t, killed)
	if len(got) != len(want) {
		t.Fatalf("%d records after resume, want %d", len(got), len(want))
	}
	for j := range want {
		if !reflect.DeepEqual(got[j], want[j]) {
			t.Errorf("record %d (%s step %d) differs from the uninterrupted run", j,
				want[j].Run, want[j].Step)
		}
	}
}

func TestResumeTruncatesTornTail(t *testing.T) {
	r := tiny(t)
	r.Steps = 40
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, r, dir, RunOptions{Commit: "abc", CheckpointEvery: 10,
		Progress: func(e Event) {
			if e.Run == "dense/seed1" && e.Step == 35 && e.Record == nil {
				cancel()
			}
		}})
	if err != context.Canceled {
		t.Fatalf("interrupted Run: error %v, want context.Canceled", err)
	}
	metrics := filepath.Join(dir, MetricsFile)
	before := readRecordsNoTime(t, dir)

	tails := []struct {
		name string
		tail string
	}{
		{"partial line", `{"run":"tiny/dense/seed1","st`},
		{"zeroed block", "\x00\x00\x00\x00\n"},
		{"record past the checkpoint, then a partial line",
			`{"run":"tiny/dense/seed1","step":38}` + "\n" + `{"ru`},
	}
	for i, c := range tails {
		f, err := os.OpenFile(metrics, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(c.tail); err != nil {
			t.Fatal(err)
		}
		f.Close()

		// A resume cancelled before its first step leaves the records up
		// to the checkpoint at step 30.
		done, stop := context.WithCancel(context.Background())
		stop()
		_, err = Run(done, r, dir, RunOptions{Commit: "abc", CheckpointEvery: 10, Resume: true})
		if err != context.Canceled {
			t.Fatalf("case %d (%s): resumed Run: error %v, want context.Canceled", i, c.name, err)
		}
		got := readRecordsNoTime(t, dir)
		if len(got) != len(before) {
			t.Fatalf("case %d (%s): %d records after resume, want %d", i, c.name, len(got),
				len(before))
		}
		if last := got[len(got)-1]; last.Step != 30 {
			t.Errorf("case %d (%s): last record at step %d, want 30", i, c.name, last.Step)
		}
		for j := range before {
			if !reflect.DeepEqual(got[j], before[j]) {
				t.Errorf("case %d (%s): record %d changed", i, c.name, j)
			}
		}
	}
}
