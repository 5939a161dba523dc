import { existsSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { parseS3Uri } from '../shared/aws';
import type { ThreatIntelSource } from '../shared/config';
import { resolveListPath } from './config';

/** Lists the stack keeps itself (the fetcher's): their sources, and the grant to read them. */
export interface KeptThreatLists {
  readonly sources: readonly ThreatIntelSource[];
  grantRead(grantee: iam.IGrantable): void;
}

export interface ThreatListsProps {
  /** The config's `threatIntel.sources`: local paths and `s3://` URIs. */
  readonly sources: readonly ThreatIntelSource[];
  /** Relative paths resolve against this folder (the config file's). */
  readonly baseDir: string;
  /**
   * Lists the stack fetches itself: the functions read them beside the config's.
   * @default - none
   */
  readonly fetched?: KeptThreatLists;
}

/**
 * The threat lists the functions read. Local files are uploaded as S3 assets and handed to the
 * functions as `{ s3Uri, name }`, keeping the name the list had locally (so a finding names the
 * same list in the CLI and in AWS); `s3://` sources pass through unchanged. The lists the
 * stack's fetcher keeps are added after them.
 */
export class ThreatLists extends Construct {
  /** The sources as the functions must see them: every one an `s3Uri`. */
  public readonly runtimeSources: ThreatIntelSource[];
  private readonly objectArns: string[];
  private readonly fetched: KeptThreatLists | undefined;

  constructor(scope: Construct, id: string, props: ThreatListsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.runtimeSources = [];
    this.objectArns = [];
    props.sources.forEach((source, i) => {
      if ('s3Uri' in source) {
        const { bucket, key } = parseS3Uri(source.s3Uri);
        this.runtimeSources.push(source);
        this.objectArns.push(`arn:${stack.partition}:s3:::${bucket}/${key}`);
        return;
      }
      const path = resolveListPath(source.path, props.baseDir);
      if (!existsSync(path)) throw new Error(`${id}: threat list ${path} does not exist`);
      const asset = new Asset(this, `List${i}`, { path });
      this.runtimeSources.push({ s3Uri: asset.s3ObjectUrl, name: source.name ?? source.path });
      this.objectArns.push(`arn:${stack.partition}:s3:::${asset.s3BucketName}/${asset.s3ObjectKey}`);
    });
    this.fetched = props.fetched;
    this.runtimeSources.push(...(props.fetched?.sources ?? []));
  }

  /**
   * Lets `grantee` read every list: s3:GetObject on each object, which also authorizes HeadObject
   * (the functions poll the ETag to notice a changed list). Nothing else in the asset bucket.
   */
  public grantRead(grantee: iam.IGrantable): void {
    this.fetched?.grantRead(grantee);
    if (this.objectArns.length === 0) return;
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: this.objectArns });
  }
}
