package experiments

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/solvers"
)

// FailedFile is the marker Run writes into a run folder when training
// fails part-way (a diverging loss, a full disk). It contains the error.
// Running the same recipe into such a folder starts it over.
const FailedFile = "failed.txt"

// FolderState is the state of a run folder that InspectRunFolder returns.
type FolderState int

// Run folder states.
const (
	FolderMissing FolderState = iota // no folder yet
	FolderDone                       // SummaryFile written: the run finished
	FolderPartial                    // the run stopped or is still running
	FolderFailed                     // the run failed and wrote FailedFile
)

// InspectRunFolder returns the state of the run folder dir for recipe r.
// A folder that contains no RecipeFile, or the recipe of another run (a
// different Recipe.Hash), is an error naming the folder, because
// reusing it would mix or return results of another recipe.
func InspectRunFolder(r *Recipe, dir string) (FolderState, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return FolderMissing, nil
	}
	path := filepath.Join(dir, RecipeFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, errors.Errorf("experiments: folder %s exists but has no readable %s, so delete "+
			"it or pick another --name", dir, RecipeFile)
	}
	saved, err := ParseRecipe(path, data)
	if err != nil {
		return 0, errors.Wrapf(err, "experiments: folder %s has an invalid %s, so delete it or "+
			"pick another --name", dir, RecipeFile)
	}
	if saved.Hash() != r.Hash() {
		return 0, errors.Errorf("experiments: folder %s contains recipe %s (hash %s), not %s "+
			"(hash %s), so the recipe or the grid changed since it ran. Delete it or pick "+
			"another --name", dir, saved.Name, saved.Hash(), r.Name, r.Hash())
	}
	if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err == nil {
		return FolderDone, nil
	}
	if _, err := os.Stat(filepath.Join(dir, FailedFile)); err == nil {
		return FolderFailed, nil
	}
	return FolderPartial, nil
}

// markFailed writes FailedFile into dir with the error cause and returns
// cause with advice on how to rerun.
func markFailed(dir string, cause error) error {
	text := "This run failed:\n\n" + cause.Error() + "\n\nRunning the same recipe into " +
		"this folder again starts it over; a different recipe needs another folder.\n"
	werr := writeFileAtomic(filepath.Join(dir, FailedFile), []byte(text))
	if werr != nil {
		return errors.Wrapf(cause, "run folder %s left without a %s marker (%v); delete it "+
			"before running again", dir, FailedFile, werr)
	}
	return errors.Wrapf(cause, "run folder %s is marked failed in %s; run the same recipe "+
		"again to start it over, or delete the folder or pick another --name", dir, FailedFile)
}

// writeFileAtomic replaces the file at path by data with mode 0644, so a
// crash leaves either the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	err := solvers.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return errors.Wrap(err, "experiments")
	}
	return errors.Wrap(os.Chmod(path, 0o644), "experiments")
}
