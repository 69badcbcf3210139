/**
 * An optional edge in front of the HTTP API that limits each client address: CloudFront with an
 * AWS WAF rate-based rule (HTTP APIs cannot be associated with WAF themselves). Nothing is
 * cached and every header, query string and method is forwarded, so sites see the same API.
 * A CLOUDFRONT-scope web ACL can only be created in us-east-1: the stack must be deployed there.
 *
 * Cost (us-east-1 list prices): WAF $5/month per web ACL + $1/month per rule + $0.60 per
 * million requests; CloudFront per request and per GB out (about $0.0100 per 10,000 HTTPS
 * requests and $0.085/GB in North America and Europe, more elsewhere).
 */
import { CfnOutput, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface EdgeRateLimitProps {
  readonly api: apigwv2.HttpApi;
  /** Requests one client address may make in any 5 minutes before WAF blocks it (WAF: 10 to 2,000,000,000). */
  readonly requestsPerFiveMinutes: number;
}

export class EdgeRateLimit extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeRateLimitProps) {
    super(scope, id);
    const { region } = Stack.of(this);
    if (Token.isUnresolved(region) || region !== 'us-east-1') {
      throw new Error('edgeRateLimit needs the stack deployed in us-east-1 (a CloudFront web ACL can only be created there): deploy with that region set explicitly');
    }
    if (!Number.isInteger(props.requestsPerFiveMinutes) || props.requestsPerFiveMinutes < 10) {
      throw new Error(`edgeRateLimit must be a whole number of requests per 5 minutes, at least 10; got ${props.requestsPerFiveMinutes}`);
    }
    const metric = (name: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: metric('CentralSyncEdge'),
      rules: [
        {
          name: 'RequestsPerAddress',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.requestsPerFiveMinutes, aggregateKeyType: 'IP' } },
          visibilityConfig: metric('CentralSyncRequestsPerAddress'),
        },
      ],
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Central sync API, limited per client address',
      defaultBehavior: {
        origin: new origins.HttpOrigin(`${props.api.apiId}.execute-api.${region}.amazonaws.com`, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      webAclId: this.webAcl.attrArn,
    });
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'Sites are anywhere in the world: no geographic restriction.' },
      { id: 'AwsSolutions-CFR3', reason: 'Requests are logged by the API stage behind it (access logs).' },
      { id: 'AwsSolutions-CFR4', reason: 'The default CloudFront certificate; a custom domain with its own certificate sets the TLS policy.' },
    );
    new CfnOutput(scope, 'EdgeUrl', { value: `https://${this.distribution.distributionDomainName}`, description: 'Base URL that remote sites sync with, limited per address' });
  }
}
