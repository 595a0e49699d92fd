package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectRunFolder(t *testing.T) {
	r := tiny(t)
	other := tiny(t)
	other.Steps = 30
	base := t.TempDir()
	write := func(dir string, files ...string) string {
		path := filepath.Join(base, dir)
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			var err error
			switch f {
			case RecipeFile:
				err = writeRecipe(filepath.Join(path, f), r)
			case "other " + RecipeFile:
				err = writeRecipe(filepath.Join(path, RecipeFile), other)
			default:
				err = os.WriteFile(filepath.Join(path, f), []byte("{}"), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	cases := []struct {
		dir   string
		state FolderState
		err   string // expected substring of the error, "" for none
	}{
		{filepath.Join(base, "missing"), FolderMissing, ""},
		{write("done", RecipeFile, MetricsFile, SummaryFile), FolderDone, ""},
		{write("partial", RecipeFile, MetricsFile), FolderPartial, ""},
		{write("failed", RecipeFile, MetricsFile, FailedFile), FolderFailed, ""},
		{write("empty"), 0, "has no readable recipe.yaml, so delete it or pick another --name"},
		{write("changed", "other "+RecipeFile, SummaryFile), 0,
			"the recipe or the grid changed since it ran. Delete it or pick another --name"},
	}
	for i, c := range cases {
		state, err := InspectRunFolder(r, c.dir)
		if c.err == "" {
			if err != nil {
				t.Errorf("case %d (%s): %v", i, filepath.Base(c.dir), err)
			}
			if state != c.state {
				t.Errorf("case %d (%s): state %d, want %d", i, filepath.Base(c.dir), state, c.state)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), c.dir) {
			t.Errorf("case %d (%s): error %v, want one naming the folder and containing %q",
				i, filepath.Base(c.dir), err, c.err)
		}
	}
}

func TestRunFailureMarksFolder(t *testing.T) {
	r := tiny(t)
	dir := filepath.Join(t.TempDir(), "run")
	// A folder in the place of summary.json makes the last write fail.
	blocked := false
	_, err := Run(context.Background(), r, dir, RunOptions{Progress: func(Event) {
		if !blocked {
			blocked = true
			if err := os.MkdirAll(filepath.Join(dir, SummaryFile, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}})
	if err == nil {
		t.Fatal("Run returned no error")
	}
	for _, want := range []string{"is marked failed in " + FailedFile, "run the same recipe again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	marker, err := os.ReadFile(filepath.Join(dir, FailedFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(marker), SummaryFile) {
		t.Errorf("%s does not give the cause: %q", FailedFile, marker)
	}

	// The same recipe starts over without cleaning up by hand.
	if err := os.RemoveAll(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), r, dir, RunOptions{}); err != nil {
		t.Fatalf("rerun after failure: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FailedFile)); !os.IsNotExist(err) {
		t.Errorf("%s left after a successful rerun: %v", FailedFile, err)
	}

	// Another recipe does not replace the folder.
	other := tiny(t)
	other.Steps = 30
	if err := os.WriteFile(filepath.Join(dir, FailedFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), other, dir, RunOptions{}); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("another recipe into a failed folder: error %v, want already exists", err)
	}
}
