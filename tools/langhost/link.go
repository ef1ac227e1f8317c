// In-process LanguageRuntime Link for the language-host front (`pulumi convert` and
// `pulumi package add` link generated SDKs into a program through it), done the way the current
// pulumi-language-nodejs and pulumi-language-python hosts do it, with the sdk/v3 npm and Python
// toolchain packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pulumi/pulumi/pkg/v3/codegen/cgstrings"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/fsutil"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

func (h *codegenHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	cachedLoader := schema.NewCachedLoader(loader)
	switch h.lang {
	case "nodejs":
		return linkNodejs(ctx, req, cachedLoader)
	case "go":
		// Not served for Go: `pulumi package add` into a Go program is not something our tests
		// do; the user's path is a go.mod replace (or require) of the SDK module.
		return nil, status.Error(codes.Unimplemented, "Link is not implemented for go by the front")
	}
	return linkPython(ctx, req, cachedLoader)
}

// loadLinked loads the schema of one package to link, as both hosts do.
func loadLinked(
	ctx context.Context, loader schema.ReferenceLoader, dep *pulumirpc.LinkRequest_LinkDependency,
) (schema.PackageReference, *schema.Package, error) {
	var version *semver.Version
	if v, err := semver.New(dep.Package.Version); err == nil {
		version = v
	}
	var param *schema.ParameterizationDescriptor
	if p := dep.Package.Parameterization; p != nil {
		param = &schema.ParameterizationDescriptor{Name: p.Name, Value: p.Value}
		if p.Version != "" {
			if v, err := semver.New(p.Version); err == nil {
				param.Version = *v
			}
		}
	}
	ref, err := schema.LoadPackageReferenceV2(ctx, loader, &schema.PackageDescriptor{
		Name:             dep.Package.Name,
		Version:          version,
		DownloadURL:      dep.Package.Server,
		Parameterization: param,
	})
	if err != nil {
		return nil, nil, err
	}
	pkg, err := ref.Definition()
	if err != nil {
		return nil, nil, err
	}
	return ref, pkg, nil
}

func linkNodejs(
	ctx context.Context, req *pulumirpc.LinkRequest, loader schema.ReferenceLoader,
) (*pulumirpc.LinkResponse, error) {
	// The runtime options Link reads, with the real host's defaults and checks.
	options := req.Info.Options.AsMap()
	typescript, tsconfig := true, ""
	if v, ok := options["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return nil, errors.New("typescript option must be a boolean")
		}
		typescript = b
	}
	if v, ok := options["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("tsconfigpath option must be a string")
		}
		tsconfig = s
	}
	pmType := npm.AutoPackageManager
	if v, ok := options["packagemanager"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("packagemanager option must be a string")
		}
		switch s {
		case "auto":
		case "npm":
			pmType = npm.NpmPackageManager
		case "yarn":
			pmType = npm.YarnPackageManager
		case "pnpm":
			pmType = npm.PnpmPackageManager
		case "bun":
			pmType = npm.BunPackageManager
		default:
			return nil, fmt.Errorf("packagemanager option must be one of auto, npm, yarn, pnpm or bun, got %q", s)
		}
	}

	pm, err := npm.ResolvePackageManager(pmType, req.Info.ProgramDirectory)
	if err != nil {
		return nil, err
	}
	isTypeScript := typescript || tsconfig != ""
	if !isTypeScript {
		if _, err := fsutil.Searchup(req.Info.ProgramDirectory, "tsconfig.json"); err == nil {
			isTypeScript = true
		}
	}
	usesModuleSyntax := isTypeScript
	if !usesModuleSyntax {
		if p, err := npm.SearchupPackageManifest(req.Info.ProgramDirectory); err == nil {
			if data, _, err := npm.ReadPackageManifest(filepath.Dir(p)); err == nil {
				if typ, ok := data["type"].(string); ok && typ == "module" {
					usesModuleSyntax = true
				}
			}
		}
	}

	instructions := "You can import the SDK in your JavaScript code with:\n\n"
	if isTypeScript {
		instructions = "You can import the SDK in your TypeScript code with:\n\n"
	}
	var imports strings.Builder
	for _, dep := range req.Packages {
		ref, pkg, err := loadLinked(ctx, loader, dep)
		if err != nil {
			return nil, err
		}
		if err := pkg.ImportLanguages(map[string]schema.Language{"nodejs": nodejsgen.Importer}); err != nil {
			return nil, err
		}
		packageName := "@pulumi/" + pkg.Name
		if pkg.Namespace != "" {
			packageName = "@" + pkg.Namespace + "/" + pkg.Name
		}
		if info, ok := pkg.Language["nodejs"].(nodejsgen.NodePackageInfo); ok && info.PackageName != "" {
			packageName = info.PackageName
		}
		if err := pm.Link(ctx, req.Info.ProgramDirectory, packageName, dep.Path); err != nil {
			return nil, err
		}
		importName := cgstrings.Camel(ref.Name())
		if usesModuleSyntax {
			fmt.Fprintf(&imports, "  import * as %s from \"%s\";\n", importName, packageName)
		} else {
			fmt.Fprintf(&imports, "  const %s = require(\"%s\");\n", importName, packageName)
		}
	}
	return &pulumirpc.LinkResponse{ImportInstructions: instructions + imports.String()}, nil
}

func linkPython(
	ctx context.Context, req *pulumirpc.LinkRequest, loader schema.ReferenceLoader,
) (*pulumirpc.LinkResponse, error) {
	// The runtime options the toolchain reads, with the real host's checks.
	opts := toolchain.PythonOptions{Root: req.Info.RootDirectory, ProgramDir: req.Info.ProgramDirectory}
	options := req.Info.Options.AsMap()
	if v, ok := options["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := options["typechecker"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("typechecker option must be a string")
		}
		switch s {
		case "mypy":
			opts.Typechecker = toolchain.TypeCheckerMypy
		case "pyright":
			opts.Typechecker = toolchain.TypeCheckerPyright
		default:
			return nil, fmt.Errorf("unsupported typechecker option: %s", s)
		}
	}
	if v, ok := options["toolchain"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("toolchain option must be a string")
		}
		switch s {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return nil, fmt.Errorf("unsupported toolchain option: %s", s)
		}
	}

	instructions := "You can import the SDK in your Python code with:\n\n"
	if len(req.Packages) > 1 {
		instructions = "You can import the SDKs in your Python code with:\n\n"
	}
	packages := map[string]string{} // Python package name -> path
	var imports strings.Builder
	for _, dep := range req.Packages {
		if dep.Package.Name == "pulumi" {
			packages["pulumi"] = dep.Path
			continue
		}
		ref, pkg, err := loadLinked(ctx, loader, dep)
		if err != nil {
			return nil, err
		}
		if err := pkg.ImportLanguages(map[string]schema.Language{"python": pythongen.Importer}); err != nil {
			return nil, err
		}
		var importName, packageName string
		if info, ok := pkg.Language["python"].(pythongen.PackageInfo); ok && info.PackageName != "" {
			importName, packageName = info.PackageName, info.PackageName
		}
		if importName == "" {
			importName = strings.ReplaceAll(ref.Name(), "-", "_")
		}
		if packageName == "" {
			packageName = pythongen.PyPack(ref.Namespace(), ref.Name())
		}
		packages[packageName] = dep.Path
		fmt.Fprintf(&imports, "  import %s as %s\n", packageName, importName)
	}

	if opts.Toolchain != toolchain.Pip {
		if _, err := os.Stat(filepath.Join(req.Info.ProgramDirectory, "pyproject.toml")); os.IsNotExist(err) {
			if _, err := os.Stat(filepath.Join(req.Info.ProgramDirectory, "requirements.txt")); os.IsNotExist(err) {
				return nil, fmt.Errorf("no pyproject.toml or requirements.txt found in %s", req.Info.ProgramDirectory)
			}
			// Not installed yet: link into requirements.txt, as the real host does.
			opts.Toolchain = toolchain.Pip
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.LinkPackages(ctx, packages); err != nil {
		return nil, fmt.Errorf("linking packages: %w", err)
	}
	return &pulumirpc.LinkResponse{ImportInstructions: instructions + imports.String()}, nil
}
