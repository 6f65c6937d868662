// providers.js: the words forms add to the type descriptors: an example of
// each field's value, where a provider issues its credential, and which
// optional fields matter enough to show at once (the others fold under
// "More options"). Keyed by field name and type: a provider missing here
// still gets a working form from its descriptor, only with plainer hints.

// field name -> {example, hint, label, primary (shown although optional)}
export const FIELD_HELP = {
  displayName: {hint: 'How slipway names this connection on its pages.'},
  isActive: {hint: 'Inactive connections are kept but not used.'},
  organization: {example: 'acme', label: 'Organisation or user'},
  repoName: {example: 'mobile-app', label: 'Repository'},
  repositoryUrl: {example: 'https://github.com/acme/mobile-app', hint: 'Empty: derived from the server, organisation and repository.'},
  defaultBranch: {example: 'main'},
  serverUrl: {example: 'https://git.example.com', hint: 'Only for a self-hosted server (GitHub Enterprise: https://github.example.com/api/v3).'},
  accessToken: {hint: 'A token with access to the repository (push, to create branches and tags).'},
  refreshToken: {hint: 'Only for an OAuth token that expires.'},
  expiresAt: {example: '2027-01-31T00:00:00Z', hint: 'When the access token expires, if it does.'},
  appleApiKeyId: {example: '2X9R4HXF34', label: 'Key ID', hint: 'Shown next to the key in App Store Connect (not a secret).'},
  appleIssuerId: {example: '57246542-96fe-1a63-e053-0824d011072a', label: 'Issuer ID', hint: 'Above the list of keys in App Store Connect (not a secret).'},
  applePrivateKey: {label: 'Private key (.p8)', hint: 'The AuthKey_….p8 file App Store Connect lets you download once.'},
  appleBundleId: {example: 'com.example.app', label: 'Bundle ID'},
  appleTeamId: {example: 'A1B2C3D4E5', label: 'Team ID'},
  googleServiceAccountEmail: {example: 'release@my-project.iam.gserviceaccount.com'},
  googlePrivateKey: {hint: 'The private_key of the service account\'s JSON key file.'},
  googlePackageName: {example: 'com.example.app'},
  firebaseProjectId: {example: 'my-project-1234'},
  firebaseAppId: {example: '1:1234567890:android:0a1b2c3d4e5f'},
  jenkinsUrl: {example: 'https://ci.example.com'},
  jenkinsUsername: {example: 'release-bot'},
  jenkinsApiToken: {hint: 'From your user\'s page in Jenkins: Configure, API Token.'},
  jenkinsJobPath: {example: 'mobile/release-android'},
  githubWorkflowPath: {example: '.github/workflows/release.yml'},
  githubWorkflowRef: {example: 'main'},
  gitlabPipelineId: {example: '1234'},
  gitlabJobName: {example: 'build-release'},
  circleciProjectSlug: {example: 'gh/acme/mobile-app'},
  circleciWorkflowName: {example: 'release'},
  description: {example: 'Builds the Android release bundle'},
  buildTimeout: {example: '3600', hint: 'Seconds a build may take.'},
  environmentVariables: {example: '{"FLAVOR": "production"}'},
  slackBotToken: {example: 'xoxb-…', hint: 'A bot token lets slipway check the channels; a webhook only posts. Give one of the two.'},
  slackWebhookUrl: {example: 'https://hooks.slack.com/services/…'},
  slackChannels: {example: '#releases', primary: true},
  notifyOnEvents: {label: 'Notify on these events', primary: true},
  emailRecipients: {example: 'releases@example.com'},
  emailFromAddress: {example: 'slipway@example.com'},
  smtpHost: {example: 'smtp.example.com'},
  smtpUsername: {example: 'slipway@example.com', primary: true},
  teamsWebhookUrl: {example: 'https://example.webhook.office.com/…', hint: 'A channel\'s incoming webhook (Teams: Workflows).'},
  jiraUrl: {example: 'https://acme.atlassian.net'},
  jiraEmail: {example: 'release-bot@example.com'},
  jiraProjectKey: {example: 'APP'},
  jiraDefaultIssueType: {example: 'Task'},
  issueTransition: {example: 'Released', hint: 'Optional: the transition the issues the release notes name take when the fix version is released.'},
  linearTeamId: {example: 'ENG'},
  azureOrganization: {example: 'acme'},
  azureProject: {example: 'Mobile'},
  azureUrl: {example: 'https://dev.azure.com'},
  testRailUrl: {example: 'https://acme.testrail.io'},
  testRailUsername: {example: 'release-bot@example.com'},
  testRailProjectId: {example: '1'},
  keyAlias: {example: 'upload'},
  sentryUrl: {example: 'https://sentry.io', hint: 'sentry.io, or your self-hosted Sentry.'},
  sentryOrganization: {example: 'acme'},
  sentryProject: {example: 'mobile-app'},
  bugsnagUrl: {example: 'https://api.bugsnag.com'},
  bugsnagProjectId: {example: '5f0c1d2e3a4b5c6d7e8f9a0b'},
};

// type -> where its credential is issued: {url, text}
export const TYPE_HELP = {
  GITHUB: {url: 'https://github.com/settings/tokens', text: 'Create a token on GitHub'},
  GITLAB: {url: 'https://gitlab.com/-/user_settings/personal_access_tokens', text: 'Create a token on GitLab'},
  BITBUCKET: {url: 'https://bitbucket.org/account/settings/app-passwords/', text: 'Create an app password on Bitbucket'},
  APP_STORE: {url: 'https://appstoreconnect.apple.com/access/integrations/api', text: 'Create a key in App Store Connect'},
  PLAY_STORE: {url: 'https://console.cloud.google.com/iam-admin/serviceaccounts', text: 'Create a service account key in Google Cloud'},
  FIREBASE: {url: 'https://console.firebase.google.com/', text: 'Find the project and app in the Firebase console'},
  CIRCLECI: {url: 'https://app.circleci.com/settings/user/tokens', text: 'Create a token on CircleCI'},
  SLACK: {url: 'https://api.slack.com/apps', text: 'Create a Slack app and its bot token'},
  JIRA: {url: 'https://id.atlassian.com/manage-profile/security/api-tokens', text: 'Create an Atlassian API token'},
  LINEAR: {url: 'https://linear.app/settings/account/security', text: 'Create a Linear API key'},
  AZURE_DEVOPS: {url: 'https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate', text: 'Create an Azure DevOps token'},
};

// A file that fills several fields at once: Google hands out a service account as one JSON file.
// A rule applies to a form that has all of its `needs` fields; `fills` maps the file's keys to fields.
export const FILE_FILLS = [
  {
    needs: ['googleServiceAccountEmail', 'googlePrivateKey'],
    label: 'Load the service account\'s JSON key file',
    accept: '.json,application/json',
    fills: {client_email: 'googleServiceAccountEmail', private_key: 'googlePrivateKey', project_id: 'firebaseProjectId'},
  },
];

// Events, as words (the values themselves come from the descriptor's allowed list).
export const EVENT_WORDS = {
  release_started: 'Release started',
  build_completed: 'Build completed',
  build_failed: 'Build failed',
  release_submitted: 'Submitted for review',
  release_approved: 'Approved',
  release_rejected: 'Rejected',
  rollout_updated: 'Rollout updated',
  release_completed: 'Release completed',
};
