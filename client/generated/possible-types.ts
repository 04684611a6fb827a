
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "CreatePictureModelingJobResult": [
      "MssError",
      "PictureModelingJobCreated"
    ],
    "Node": [
      "PictureModelingJob"
    ],
    "PictureModelingJobListResult": [
      "MssError",
      "PictureModelingJobList"
    ],
    "PictureModelingJobResult": [
      "MssError",
      "PictureModelingJob"
    ],
    "StyleListResult": [
      "MssError",
      "StyleList"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "CreatePictureModelingJobResult": [
      "MssError",
      "PictureModelingJobCreated"
    ],
    "Node": [
      "PictureModelingJob"
    ],
    "PictureModelingJobListResult": [
      "MssError",
      "PictureModelingJobList"
    ],
    "PictureModelingJobResult": [
      "MssError",
      "PictureModelingJob"
    ],
    "StyleListResult": [
      "MssError",
      "StyleList"
    ]
  }
};
      export default result;
    