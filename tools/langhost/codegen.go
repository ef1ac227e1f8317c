// In-process LanguageRuntime code-generation methods (GeneratePackage, GenerateProgram,
// GenerateProject) for the language-host front, done the way the current pulumi-language-nodejs,
// pulumi-language-python and pulumi-language-go hosts do them, with Pulumi's codegen from pkg/v3.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	hclsyntax "github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type codegenHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	lang string // "nodejs", "python" or "go"
}

func newCodegenHost(lang string) *codegenHost { return &codegenHost{lang: lang} }

// The name codegen records as the generating tool, as the real hosts pass it.
func (h *codegenHost) tool() string { return "pulumi-language-" + h.lang }

func (h *codegenHost) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return nil, err
	}
	pkg, diags, err := schema.BindSpec(spec, schema.NewCachedLoader(loader), schema.ValidationOptions{
		AllowDanglingReferences: true,
	})
	if err != nil {
		return nil, err
	}
	rpcDiagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiagnostics}, nil
	}

	var files map[string][]byte
	switch h.lang {
	case "nodejs":
		files, err = nodejsgen.GeneratePackage(h.tool(), pkg, req.ExtraFiles, req.LocalDependencies, req.Local,
			schema.NewCachedLoader(loader))
	case "python":
		files, err = pythongen.GeneratePackage(h.tool(), pkg, req.ExtraFiles, schema.NewCachedLoader(loader))
	case "go":
		// As the Go host: no overlays; go.mod only for packages with meta.supportPack.
		if len(req.ExtraFiles) > 0 {
			return nil, errors.New("overlays are not supported for Go")
		}
		files, err = gogen.GeneratePackage(h.tool(), pkg, req.LocalDependencies)
	}
	if err != nil {
		return nil, err
	}

	for filename, data := range files {
		outPath := filepath.Join(req.Directory, filename)
		if err := os.MkdirAll(filepath.Dir(outPath), 0o700); err != nil {
			return nil, fmt.Errorf("could not create output directory %s: %w", filepath.Dir(filename), err)
		}
		if err := os.WriteFile(outPath, data, 0o600); err != nil {
			return nil, fmt.Errorf("could not write output file %s: %w", filename, err)
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiagnostics}, nil
}

func (h *codegenHost) GenerateProgram(
	ctx context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	parser := hclsyntax.NewParser()
	for path, contents := range req.Source {
		if err := parser.ParseFile(strings.NewReader(contents), path); err != nil {
			return nil, err
		}
		if diags := parser.Diagnostics; diags.HasErrors() {
			return nil, diags
		}
	}

	// Both hosts prefer output-versioned invokes.
	bindOptions := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.Strict {
		bindOptions = append(bindOptions, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), bindOptions...)
	if err != nil {
		return nil, err
	}
	rpcDiagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GenerateProgramResponse{Diagnostics: rpcDiagnostics}, nil
	}
	if program == nil {
		return nil, errors.New("internal error program was nil")
	}

	var files map[string][]byte
	switch h.lang {
	case "nodejs":
		files, diags, err = nodejsgen.GenerateProgramWithOptions(program, nodejsgen.ProgramOptions{Runtime: "nodejs"})
	case "python":
		files, diags, err = pythongen.GenerateProgram(program)
	case "go":
		files, diags, err = gogen.GenerateProgram(program)
	}
	if err != nil {
		return nil, err
	}
	rpcDiagnostics = append(rpcDiagnostics, plugin.HclDiagnosticsToRPCDiagnostics(diags)...)
	return &pulumirpc.GenerateProgramResponse{Source: files, Diagnostics: rpcDiagnostics}, nil
}

func (h *codegenHost) GenerateProject(
	ctx context.Context, req *pulumirpc.GenerateProjectRequest,
) (*pulumirpc.GenerateProjectResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	var bindOptions []pcl.BindOption
	if !req.Strict {
		bindOptions = append(bindOptions, pcl.NonStrictBindOptions()...)
	}
	bindOptions = append(bindOptions, pcl.PreferOutputVersionedInvokes)
	program, diags, err := pcl.BindDirectory(req.SourceDirectory, schema.NewCachedLoader(loader), bindOptions...)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return &pulumirpc.GenerateProjectResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}

	var project workspace.Project
	if err := json.Unmarshal([]byte(req.Project), &project); err != nil {
		return nil, err
	}
	switch h.lang {
	case "nodejs":
		// forceTsc false and runtime "nodejs": what the real host runs with unless started with -runtime=bun.
		err = nodejsgen.GenerateProject(req.TargetDirectory, project, program, req.LocalDependencies, false, "nodejs")
	case "python":
		// No typechecker or toolchain override: what the real host runs with outside conformance tests.
		err = pythongen.GenerateProject(req.TargetDirectory, project, program, req.LocalDependencies, "", "")
	case "go":
		err = gogen.GenerateProject(req.TargetDirectory, project, program, req.LocalDependencies)
	}
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GenerateProjectResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}
