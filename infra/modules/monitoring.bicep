// Log Analytics and workspace-based Application Insights; only Entra-authenticated telemetry.
param location string
param tags object
param workspaceName string
param applicationInsightsName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString

// What an operator is told (docs/operations.md). Every query reads the app's own log lines: one
// JSON object per event in `message` (shared/logging.ts); a test checks that each query names
// only events and fields the app writes.
@description('E-mail address alerts go to; empty: the rules fire without notifying anyone.')
param alertEmail string = ''

var events = 'traces | extend e = parse_json(message)'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${applicationInsightsName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'referrals'
    enabled: true
    emailReceivers: [
      { name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var alerts = [
  {
    name: 'sign-in-lost-or-at-risk'
    title: 'Integration user sign-in lost or at risk'
    description: 'Partner Center tokens cannot be obtained (lost: run npm run consent), or the sign-in has not been renewed for SIGN_IN_AT_RISK_DAYS.'
    severity: 1
    window: 'PT30M'
    query: '${events} | where (tostring(e.event) == "signIn.checked" and tostring(e.outcome) in ("lost", "unavailable", "atRisk")) or (tostring(e.event) == "request.failed" and tostring(e.code) == "partnerCenterConsentRequired")'
  }
  {
    name: 'shared-referrals-failed'
    title: 'Shared referral operations failed'
    description: 'A shared referral stopped at a step after its retries: list them with GET /api/operations?state=failed and re-drive.'
    severity: 2
    window: 'PT15M'
    query: '${events} | where tostring(e.event) == "sharedReferral.failed"'
  }
  {
    name: 'server-errors-rising'
    title: 'More than 10% of requests answered 5xx'
    description: 'At least 20 requests in 15 minutes, more than one in ten answered with a 5xx status.'
    severity: 2
    window: 'PT15M'
    query: '${events} | where tostring(e.event) == "request.completed" | summarize total = count(), failed = countif(toint(e.status) >= 500) | where total >= 20 and failed * 10 > total'
  }
  {
    name: 'events-or-notifications-parked'
    title: 'Partner Center events or notifications parked'
    description: 'An event could not be processed, or a notification was not delivered after its last attempt: GET /api/events/parked lists them for re-driving.'
    severity: 2
    window: 'PT15M'
    query: '${events} | where tostring(e.event) in ("partnerCenterEvent.parked", "notification.parked")'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for alert in alerts: {
    name: '${applicationInsightsName}-${alert.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.title
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [applicationInsights.id]
      evaluationFrequency: 'PT15M'
      windowSize: alert.window
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: empty(alertEmail) ? {} : { actionGroups: [actionGroup.id] }
    }
  }
]

var workbookQueries = [
  {
    title: 'Referrals created per day, by type'
    query: '${events} | where tostring(e.event) in ("referral.created", "sharedReferral.completed") and tostring(e.replayed) != "true" | summarize referrals = count() by bin(timestamp, 1d), type = tostring(e.referralType) | render columnchart'
  }
  {
    title: 'Failures by code'
    query: '${events} | where tostring(e.event) in ("request.failed", "request.rejected") | summarize failures = count() by code = tostring(e.code) | order by failures desc'
  }
  {
    title: 'Partner Center latency (ms)'
    query: '${events} | where tostring(e.event) == "partnerCenter.attempt" | summarize p50 = percentile(todouble(e.durationMs), 50), p95 = percentile(todouble(e.durationMs), 95) by bin(timestamp, 1h) | render timechart'
  }
  {
    title: 'Referrals awaiting Microsoft (latest status New)'
    query: '${events} | where tostring(e.event) == "partnerCenterEvent.recorded" | summarize arg_max(timestamp, e) by referralId = tostring(e.referralId) | extend status = tostring(e.outcome), type = tostring(e.referralType) | where status startswith "New/" | project referralId, type, status, since = timestamp'
  }
]

var workbookItems = [
  for (item, i) in workbookQueries: {
    type: 3
    name: 'query-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: item.title
      query: item.query
      queryType: 0
      resourceType: 'microsoft.insights/components'
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, applicationInsightsName, 'referral-gateway-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Referral gateway'
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: string({
      version: 'Notebook/1.0'
      items: workbookItems
      isLocked: false
    })
  }
}
