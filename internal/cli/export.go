package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/archive"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/version"
)

// runExport writes a whole project to a file: `cloudsage export --project
// ID --out FILE [store flags]`. The file appears only once complete
// (written beside it, then renamed).
func runExport(ctx context.Context, args []string, stdio Stdio) error {
	var project, out string
	fs := newFlagSet("export", "--project ID --out FILE [serve's store flags]", stdio)
	fs.StringVar(&project, "project", "", "the id of the project to export")
	fs.StringVar(&out, "out", "", "the file to write (gzip-compressed NDJSON)")
	c, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(project, 10, 64)
	if err != nil || id <= 0 {
		return usageError{"--project must be a project id (a positive number)"}
	}
	if out == "" {
		return usageError{"--out FILE is required"}
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	pr, err := st.ProjectByID(ctx, cloudsage.ProjectID(id))
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	t, err := exportProject(ctx, st, pr, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(stdio.Out, "exported project %d %q to %s: %s\n", pr.ID, pr.Name, out, t)
	return nil
}

// projectDumper is what exportProject needs of the store.
type projectDumper interface {
	Dialect() string
	DumpProject(ctx context.Context, id cloudsage.ProjectID, fn func(store.Record) error) error
}

// exportProject writes pr from st to w as an archive.
func exportProject(ctx context.Context, st projectDumper, pr store.Project, w io.Writer) (archive.Trailer, error) {
	h := archive.Header{CreatedAt: time.Now().UTC(), Source: st.Dialect(), By: version.String(),
		Project: archive.Project{Name: pr.Name, Settings: pr.Settings, CreatedAt: pr.CreatedAt}}
	aw, err := archive.NewWriter(w, h)
	if err != nil {
		return archive.Trailer{}, err
	}
	if err := st.DumpProject(ctx, pr.ID, aw.Write); err != nil {
		return archive.Trailer{}, err
	}
	return aw.Close()
}

// runImport creates a project from an export file: `cloudsage import FILE
// --owner EMAIL [--name NAME] [store flags]`. The whole file is checked
// first; then everything is written in one transaction, so a damaged,
// newer or unreadable file leaves the store as it was.
func runImport(ctx context.Context, args []string, stdio Stdio) error {
	var owner, name string
	fs := newFlagSet("import", "FILE --owner EMAIL [--name NAME] [serve's store flags]", stdio)
	fs.StringVar(&owner, "owner", "", "email of the existing account that becomes the project's admin")
	fs.StringVar(&name, "name", "", "the new project's name (default: the exported name)")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	c, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" || fs.NArg() > 1 {
		return usageError{"usage: cloudsage import FILE --owner EMAIL [--name NAME]"}
	}
	if owner == "" {
		return usageError{"--owner EMAIL is required: the account that becomes the project's admin"}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h, t, err := archive.Verify(f)
	if err != nil {
		return fmt.Errorf("%s: %s; nothing was imported", file, cloudsage.MessageOf(err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	ar, err := archive.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %s; nothing was imported", file, cloudsage.MessageOf(err))
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(owner)))
	if store.IsNotFound(err) {
		return fmt.Errorf("no account %q on this instance: create it first (cloudsage user create)", owner)
	}
	if err != nil {
		return err
	}
	p := store.Project{Name: h.Project.Name, Settings: h.Project.Settings}
	if name != "" {
		p.Name = name
	}
	pr, err := st.ImportProject(ctx, u.ID, p, ar.Next)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || cloudsage.KindOf(err) == cloudsage.Invalid {
			return fmt.Errorf("%s: %s; nothing was imported", file, cloudsage.MessageOf(err))
		}
		return fmt.Errorf("import %s: %w; nothing was imported", file, err)
	}
	fmt.Fprintf(stdio.Out, "imported %s as project %d %q (admin %s): %s\n", file, pr.ID, pr.Name, u.Email, t)
	return nil
}
