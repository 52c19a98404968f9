/**
 * `npm run infra`: checks and compiles the Bicep templates with the real Bicep CLI. The CLI is
 * the NuGet package Azure.Bicep.CommandLine.<platform>, pinned below, restored with `dotnet`
 * into .local/tools (git-ignored) on first use. Every .bicep file under infra/ is linted with
 * warnings counted as errors, then compiled to dist/infra/ (ARM JSON, which the tests read).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const BICEP_VERSION = '0.49.2';
const ROOT = resolve(__dirname, '..');
const INFRA = join(ROOT, 'infra');
const OUT = join(ROOT, 'dist', 'infra');
const TOOLS = join(ROOT, '.local', 'tools');

function platformPackage(): string {
  const os = { linux: 'linux', darwin: 'osx', win32: 'win' }[process.platform as string];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch as string];
  if (!os || !arch) throw new Error(`No Bicep CLI package for ${process.platform}-${process.arch}`);
  return `Azure.Bicep.CommandLine.${os}-${arch}`;
}

function bicepCli(): string {
  const pkg = platformPackage();
  const exe = join(
    TOOLS,
    'nuget',
    pkg.toLowerCase(),
    BICEP_VERSION,
    'tools',
    process.platform === 'win32' ? 'bicep.exe' : 'bicep',
  );
  if (existsSync(exe)) return exe;
  const project = join(TOOLS, 'bicep-restore');
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'restore.csproj'),
    `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="${pkg}" Version="[${BICEP_VERSION}]" /></ItemGroup>
</Project>
`,
  );
  console.log(`Restoring ${pkg} ${BICEP_VERSION} with dotnet...`);
  const restore = spawnSync(
    'dotnet',
    ['restore', join(project, 'restore.csproj'), '--packages', join(TOOLS, 'nuget')],
    { encoding: 'utf8' },
  );
  if (restore.error || restore.status !== 0) {
    throw new Error(
      `Could not restore the Bicep CLI (needs the .NET SDK and NuGet): ${restore.error?.message ?? restore.stdout + restore.stderr}`,
    );
  }
  if (process.platform !== 'win32') chmodSync(exe, 0o755);
  return exe;
}

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(path);
    return entry.name.endsWith('.bicep') ? [path] : [];
  });
}

function main(): void {
  const bicep = bicepCli();
  console.log(execFileSync(bicep, ['--version'], { encoding: 'utf8' }).trim());
  const files = bicepFiles(INFRA).sort();
  const problems: string[] = [];
  for (const file of files) {
    const lint = spawnSync(bicep, ['lint', file], { encoding: 'utf8' });
    const output = `${lint.stdout}${lint.stderr}`.trim();
    // Warnings count as errors: any diagnostic fails the check.
    if (lint.status !== 0 || /: (Warning|Error|Info) /.test(output)) problems.push(output);
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    throw new Error(`Bicep lint found problems in ${problems.length} file(s)`);
  }
  for (const file of files) {
    const outfile = join(OUT, relative(INFRA, file)).replace(/\.bicep$/, '.json');
    mkdirSync(join(outfile, '..'), { recursive: true });
    execFileSync(bicep, ['build', file, '--outfile', outfile], { stdio: 'inherit' });
  }
  console.log(
    `Bicep: ${files.length} files linted (warnings as errors) and compiled to dist/infra/`,
  );
}

try {
  main();
} catch (error) {
  console.error(`npm run infra: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
