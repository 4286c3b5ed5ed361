import { parseServerlessYml } from '../src/serverless-yml';

describe('parseServerlessYml', () => {
  it('reads CloudFormation short forms as their long form', () => {
    // Prepare
    const text = [
      'service: iot-x',
      'provider: { name: aws }',
      'resources:',
      '  Resources:',
      '    Thing:',
      '      Type: AWS::SQS::Queue',
      '      Properties:',
      '        A: !Ref Other',
      '        B: !GetAtt Other.Arn',
      '        C: !Join [":", [a, b]]',
      '        D: !Sub "arn:${AWS::Partition}:x"',
    ].join('\n');

    // Act
    const parsed = parseServerlessYml(text);

    // Assess
    expect(parsed.resources?.Resources?.Thing?.Properties).toEqual({
      A: { Ref: 'Other' },
      B: { 'Fn::GetAtt': ['Other', 'Arn'] },
      C: { 'Fn::Join': [':', ['a', 'b']] },
      D: { 'Fn::Sub': 'arn:${AWS::Partition}:x' },
    });
  });
});
