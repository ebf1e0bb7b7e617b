package addon

import (
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const workflowPath = "../.github/workflows/addon-image.yaml"

// Expressions that the workflow writes in the image name, tags and build arguments.
const (
	ownerExpression   = "${{ github.repository_owner }}"
	archExpression    = "${{ matrix.arch }}"
	versionExpression = "${{ needs.version.outputs.version }}"
)

// dockerPlatforms maps each add-on architecture to the platform that buildx builds it for.
var dockerPlatforms = map[string]string{
	"aarch64": "linux/arm64",
	"amd64":   "linux/amd64",
}

// workflow is the part of a GitHub Actions workflow file that the tests check.
type workflow struct {
	On   map[string]any         `yaml:"on"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Permissions map[string]string `yaml:"permissions"`
	Strategy    struct {
		Matrix struct {
			Include []map[string]string `yaml:"include"`
		} `yaml:"matrix"`
	} `yaml:"strategy"`
	Env   map[string]string `yaml:"env"`
	Steps []workflowStep    `yaml:"steps"`
}

type workflowStep struct {
	ID   string         `yaml:"id"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

func loadWorkflow(t *testing.T) workflow {
	t.Helper()
	var w workflow
	readYAML(t, workflowPath, &w)
	return w
}

// job returns the named job of the workflow, or stops the test when it is missing.
func (w workflow) job(t *testing.T, name string) workflowJob {
	t.Helper()
	job, ok := w.Jobs[name]
	if !ok {
		t.Fatalf("addon-image.yaml has no job %q", name)
	}
	return job
}

// stepUsing returns the job's step that runs the action, such as "docker/build-push-action".
func (j workflowJob) stepUsing(t *testing.T, action string) workflowStep {
	t.Helper()
	for _, step := range j.Steps {
		if strings.HasPrefix(step.Uses, action+"@") {
			return step
		}
	}
	t.Fatalf("addon-image.yaml: no step uses %s", action)
	return workflowStep{}
}

// splitLines splits a multi-line action input, such as tags or build-args, into its entries.
func splitLines(value any) []string {
	text, _ := value.(string)
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// repositoryOwner returns the GitHub owner in repository.yaml's URL, which is the
// github.repository_owner of the workflow's runs.
func repositoryOwner(t *testing.T) string {
	t.Helper()
	var repo struct {
		URL string `yaml:"url"`
	}
	readYAML(t, "../repository.yaml", &repo)
	u, err := url.Parse(repo.URL)
	if err != nil || u.Host != "github.com" {
		t.Fatalf("repository.yaml: url %q is not a github.com URL", repo.URL)
	}
	owner, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if owner == "" {
		t.Fatalf("repository.yaml: url %q names no owner", repo.URL)
	}
	return owner
}

func TestConfigImage(t *testing.T) {
	c := loadConfig(t)
	if c.Image == "" {
		t.Fatal("config.yaml: image is missing, so the Supervisor would build the add-on " +
			"from docker/, which has no Dockerfile")
	}
	if !strings.Contains(c.Image, "{arch}") {
		t.Errorf("config.yaml: image %q does not contain {arch}, so every architecture "+
			"would pull the same image", c.Image)
	}
	if c.Image != strings.ToLower(c.Image) {
		t.Errorf("config.yaml: image %q has upper-case letters, which image names reject", c.Image)
	}
	lastPart := c.Image[strings.LastIndex(c.Image, "/")+1:]
	if strings.ContainsAny(lastPart, ":@") {
		t.Errorf("config.yaml: image %q has a tag or digest, but the Supervisor adds "+
			"the version as the tag", c.Image)
	}
}

func TestWorkflowTriggers(t *testing.T) {
	w := loadWorkflow(t)
	release, ok := w.On["release"].(map[string]any)
	if !ok {
		t.Fatal("addon-image.yaml: not triggered by release")
	}
	types, _ := release["types"].([]any)
	if !slices.Contains(types, any("published")) {
		t.Errorf("addon-image.yaml: release types = %v, want published", types)
	}
	if _, ok := w.On["workflow_dispatch"]; !ok {
		t.Error("addon-image.yaml: cannot be run by hand (workflow_dispatch is missing)")
	}
}

func TestWorkflowBuildsEveryArch(t *testing.T) {
	c := loadConfig(t)
	build := loadWorkflow(t).job(t, "build")

	var built []string
	for _, entry := range build.Strategy.Matrix.Include {
		arch := entry["arch"]
		built = append(built, arch)
		want, known := dockerPlatforms[arch]
		if !known {
			t.Errorf("addon-image.yaml: matrix arch %q is not an add-on architecture", arch)
			continue
		}
		if entry["platform"] != want {
			t.Errorf("addon-image.yaml: matrix arch %s has platform %q, want %q",
				arch, entry["platform"], want)
		}
	}
	slices.Sort(built)
	want := slices.Sorted(slices.Values(c.Arch))
	if !slices.Equal(built, want) {
		t.Errorf("addon-image.yaml builds %v, but config.yaml lists arch %v", built, want)
	}
}

// TestWorkflowImageMatchesConfig checks that the workflow pushes to the image name that
// config.yaml gives the Supervisor, with the version and latest as tags.
func TestWorkflowImageMatchesConfig(t *testing.T) {
	c := loadConfig(t)
	build := loadWorkflow(t).job(t, "build")

	template := build.Env["IMAGE"]
	if !strings.Contains(template, archExpression) {
		t.Errorf("addon-image.yaml: IMAGE %q does not contain %s", template, archExpression)
	}
	pushed := strings.ReplaceAll(template, ownerExpression, repositoryOwner(t))
	pushed = strings.ReplaceAll(pushed, archExpression, "{arch}")
	if pushed != c.Image {
		t.Errorf("addon-image.yaml pushes to %q (IMAGE %q), but config.yaml's image is %q",
			pushed, template, c.Image)
	}

	if build.Permissions["packages"] != "write" {
		t.Errorf("addon-image.yaml: build job has packages permission %q, want write",
			build.Permissions["packages"])
	}
	step := build.stepUsing(t, "docker/build-push-action")
	tags := splitLines(step.With["tags"])
	for _, want := range []string{
		"${{ env.IMAGE }}:" + versionExpression,
		"${{ env.IMAGE }}:latest",
	} {
		if !slices.Contains(tags, want) {
			t.Errorf("addon-image.yaml: tags %q do not include %q", tags, want)
		}
	}
}

// TestWorkflowBuildsRootDockerfile checks the build step's context, platform and build
// arguments against the root Dockerfile.
func TestWorkflowBuildsRootDockerfile(t *testing.T) {
	step := loadWorkflow(t).job(t, "build").stepUsing(t, "docker/build-push-action")
	if step.With["context"] != "." {
		t.Errorf("addon-image.yaml: context = %v, want . (the repository root)", step.With["context"])
	}
	if file, set := step.With["file"]; set && file != "Dockerfile" {
		t.Errorf("addon-image.yaml: file = %v, want the root Dockerfile", file)
	}
	if step.With["platforms"] != "${{ matrix.platform }}" {
		t.Errorf("addon-image.yaml: platforms = %v, want ${{ matrix.platform }}",
			step.With["platforms"])
	}

	args := splitLines(step.With["build-args"])
	for _, want := range []string{
		"BUILD_VERSION=" + versionExpression,
		"BUILD_ARCH=" + archExpression,
	} {
		if !slices.Contains(args, want) {
			t.Errorf("addon-image.yaml: build-args %q do not include %q", args, want)
		}
	}
	for _, arg := range args {
		if strings.HasPrefix(arg, "BUILD_FROM=") {
			t.Errorf("addon-image.yaml sets %q, but the Dockerfile's ARG BUILD_FROM default "+
				"is the one place that names the base image", arg)
		}
	}
}

// versionScriptResult is what the workflow's version step wrote to $GITHUB_OUTPUT, or
// the error it exited with.
type versionScriptResult struct {
	outputs map[string]string
	log     string
	err     error
}

// runVersionScript runs the version job's script from the repository root, as a GitHub
// runner does, for a run on the given ref.
func runVersionScript(t *testing.T, script, refType, refName string) versionScriptResult {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("bash is not on PATH: %v", err)
	}
	outputFile := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(outputFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// GitHub runs a Linux step that sets no shell as `bash -e {0}`.
	cmd := exec.Command(bash, "-e", "-c", script)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(),
		"GITHUB_REF_TYPE="+refType,
		"GITHUB_REF_NAME="+refName,
		"GITHUB_OUTPUT="+outputFile)
	log, runErr := cmd.CombinedOutput()

	data, err := os.ReadFile(outputFile)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if key, value, ok := strings.Cut(line, "="); ok {
			outputs[key] = value
		}
	}
	return versionScriptResult{outputs: outputs, log: string(log), err: runErr}
}

// TestWorkflowVersionStep runs the script that reads the version from docker/config.yaml
// and checks the release tag against it.
func TestWorkflowVersionStep(t *testing.T) {
	c := loadConfig(t)
	versionJob := loadWorkflow(t).job(t, "version")
	var script string
	for _, step := range versionJob.Steps {
		if step.ID == "version" {
			script = step.Run
		}
	}
	if script == "" {
		t.Fatal("addon-image.yaml: the version job has no step with id version and a run script")
	}

	tests := []struct {
		name      string
		refType   string
		refName   string
		wantPush  string
		wantError bool
	}{
		{"release tag with v", "tag", "v" + c.Version, "true", false},
		{"release tag without v", "tag", c.Version, "true", false},
		{"release tag of another version", "tag", "v" + c.Version + ".1", "", true},
		{"dispatch from a branch", "branch", "main", "false", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result := runVersionScript(t, script, tt.refType, tt.refName)
			if tt.wantError {
				var exitErr *exec.ExitError
				if !errors.As(result.err, &exitErr) {
					t.Fatalf("script for %s %q: error %v, want a non-zero exit\n%s",
						tt.refType, tt.refName, result.err, result.log)
				}
				if !strings.Contains(result.log, "does not match version "+c.Version) {
					t.Errorf("script for %s %q printed %q, want the mismatch error",
						tt.refType, tt.refName, result.log)
				}
				return
			}
			if result.err != nil {
				t.Fatalf("script for %s %q: %v\n%s", tt.refType, tt.refName, result.err, result.log)
			}
			if got := result.outputs["version"]; got != c.Version {
				t.Errorf("script output version=%q, want config.yaml's version %q", got, c.Version)
			}
			if got := result.outputs["push"]; got != tt.wantPush {
				t.Errorf("script output push=%q, want %q", got, tt.wantPush)
			}
		})
	}
}
